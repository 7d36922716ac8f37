//! ES256 verification: NIST P-256 public keys (parsing, decompression, encodings), ECDSA
//! verification, and the range and low-S rules on signature scalars, in plain Rust written for
//! wasm.
//!
//! Why not the `p256` crate, which the signing side still uses: its arithmetic works on 64-bit
//! limbs, which wasm32 can only multiply through a 128-bit helper call, and a verification takes
//! several times as long as one of secp256k1 through libsecp256k1 (see `docs/performance.md`,
//! "ES256"). Here the limbs are 32-bit words with 64-bit products, which wasm has natively.
//!
//! The tricky bits:
//! - **Variable time, on purpose.** Verification sees only public values (the key, the signature,
//!   the hash), so nothing here needs constant-time code: branches on values and early exits are
//!   fine. Nothing secret may ever come here; signing stays with `p256`.
//! - **Two reductions.** Field products are reduced by p's special form (FIPS 186-4 D.2.3: each
//!   high word folds into the low ones with small signed coefficients), with no conversion in or
//!   out; the few products mod `n` (the group order) go through Montgomery multiplication. Every
//!   value is kept fully reduced, so equal elements have equal words and `==` is field equality.
//! - **Inversions** by the binary extended Euclidean algorithm (variable time): `1/s` mod n once
//!   a verification, and once for the generator's table.
//! - **Special cases of addition.** With crafted keys and signatures the sums of the double
//!   multiplication can meet doubling (`P + P`) or cancellation (`P + −P`); both are handled, not
//!   assumed away (Wycheproof's "EdgeCaseShamirMultiplication" and "PointDuplication" vectors).
//! - **`x(R) mod n = r` without an inversion.** `R` stays in Jacobian coordinates `(X, Y, Z)`, whose
//!   affine x is `X / Z²`; the check is `X = r·Z²`, and, since `p > n`, also `X = (r + n)·Z²` when
//!   `r + n < p`.
//! - **The generator's tables** (odd multiples up to 127·G, for 8-bit windows, and the same of
//!   2³²·G, 2⁶⁴·G, … 2²²⁴·G) are computed on first use and kept for the process: 32 KiB of memory
//!   instead of 32 KiB of constants in the module.
//! - **Keys that verify repeatedly get tables too** ([`KeyTableCache`]): with odd multiples of
//!   `Q`, 2³²·Q, … 2²²⁴·Q, each scalar splits into its eight 32-bit words and a verification takes
//!   32 doublings instead of 256, about 2.5 times as fast. A key gets them at its second
//!   successful verification, so a key used once costs what it did; the cache is bounded and
//!   changes only when a verification succeeds.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::OnceLock;

/// A 256-bit number as eight 32-bit words, least significant first.
type Limbs = [u32; 8];

/// The field prime `p = 2²⁵⁶ − 2²²⁴ + 2¹⁹² + 2⁹⁶ − 1`.
const P: Limbs = [
    0xffff_ffff,
    0xffff_ffff,
    0xffff_ffff,
    0,
    0,
    0,
    1,
    0xffff_ffff,
];

/// A modulus with its Montgomery constants (the group order: scalars are multiplied in
/// Montgomery form, field elements are not).
struct Montgomery {
    value: Limbs,
    /// `−value⁻¹ mod 2³²`.
    neg_inv: u32,
    /// `R² mod value`: multiplying by it enters Montgomery form.
    r_squared: Limbs,
}

/// The group order `n`.
const N: Montgomery = Montgomery {
    value: [
        0xfc63_2551,
        0xf3b9_cac2,
        0xa717_9e84,
        0xbce6_faad,
        0xffff_ffff,
        0xffff_ffff,
        0,
        0xffff_ffff,
    ],
    neg_inv: 0xee00_bc4f,
    r_squared: [
        0xbe79_eea2,
        0x8324_4c95,
        0x49bd_6fa6,
        0x4699_799c,
        0x2b6b_ec59,
        0x2845_b239,
        0xf3d9_5620,
        0x66e1_2d94,
    ],
};

/// `(n − 1) / 2`: an `s` above it is high.
const HALF_N: Limbs = [
    0x7e31_92a8,
    0x79dc_e561,
    0xd38b_cf42,
    0xde73_7d56,
    0xffff_ffff,
    0x7fff_ffff,
    0x8000_0000,
    0x7fff_ffff,
];

/// The exponent of the square root: `(p + 1) / 4` (p ≡ 3 mod 4).
const SQRT_EXPONENT: Limbs = [
    0,
    0,
    0x4000_0000,
    0,
    0,
    0x4000_0000,
    0xc000_0000,
    0x3fff_ffff,
];

/// The curve's `b` (y² = x³ − 3x + b), as a number.
const B: Limbs = [
    0x27d2_604b,
    0x3bce_3c3e,
    0xcc53_b0f6,
    0x651d_06b0,
    0x7698_86bc,
    0xb3eb_bd55,
    0xaa3a_93e7,
    0x5ac6_35d8,
];

/// The generator's coordinates, as numbers.
const GENERATOR_X: Limbs = [
    0xd898_c296,
    0xf4a1_3945,
    0x2deb_33a0,
    0x7703_7d81,
    0x63a4_40f2,
    0xf8bc_e6e5,
    0xe12c_4247,
    0x6b17_d1f2,
];
const GENERATOR_Y: Limbs = [
    0x37bf_51f5,
    0xcbb6_4068,
    0x6b31_5ece,
    0x2bce_3357,
    0x7c0f_9e16,
    0x8ee7_eb4a,
    0xfe1a_7f9b,
    0x4fe3_42e2,
];

/// Window of the generator's wNAF: odd multiples up to (2⁷ − 1)·G in the table.
const GENERATOR_WINDOW: u32 = 8;
/// Window of the key's wNAF: odd multiples up to 15·Q, computed for each verification.
const KEY_WINDOW: u32 = 5;
/// Window of a repeated key's word tables: odd multiples up to 31·2^(32i)·Q, kept.
const TABLED_KEY_WINDOW: u32 = 6;
/// How many keys keep word tables (8 KiB each), and how many keys that verified once are
/// remembered so that their second verification builds them.
const TABLED_KEYS: usize = 16;
const SEEN_KEYS: usize = 64;

fn limbs_from_be(bytes: &[u8; 32]) -> Limbs {
    let mut limbs = [0u32; 8];
    for (limb, chunk) in limbs.iter_mut().rev().zip(bytes.chunks_exact(4)) {
        *limb = u32::from_be_bytes([
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
            chunk.get(3).copied().unwrap_or(0),
        ]);
    }
    limbs
}

fn limbs_to_be(limbs: &Limbs) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    for (chunk, limb) in bytes.chunks_exact_mut(4).zip(limbs.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    bytes
}

fn is_zero(a: &Limbs) -> bool {
    a.iter().all(|&limb| limb == 0)
}

/// `a < b`.
fn less_than(a: &Limbs, b: &Limbs) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

// The word-level additions and subtractions below are `#[inline]`: under the wasm's low inlining
// threshold (`.cargo/config.toml`) they stayed calls, and P-256 verification was measurably
// slower (docs/performance.md, "wasm size").

/// `a + b` and the carry out.
#[inline]
fn add_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut sum = [0u32; 8];
    let mut carry = 0u64;
    for ((s, &x), &y) in sum.iter_mut().zip(a).zip(b) {
        let t = u64::from(x) + u64::from(y) + carry;
        *s = t as u32;
        carry = t >> 32;
    }
    (sum, carry != 0)
}

/// `a − b` and the borrow out.
#[inline]
fn sub_raw(a: &Limbs, b: &Limbs) -> (Limbs, bool) {
    let mut difference = [0u32; 8];
    let mut borrow = 0u64;
    for ((d, &x), &y) in difference.iter_mut().zip(a).zip(b) {
        let t = u64::from(x).wrapping_sub(u64::from(y)).wrapping_sub(borrow);
        *d = t as u32;
        borrow = t >> 63;
    }
    (difference, borrow != 0)
}

/// `a + b mod m` for `a, b < m`: the sum, or the sum less `m` when that does not go below zero
/// (one subtraction instead of a comparison word by word).
#[inline]
fn add_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (sum, carry) = add_raw(a, b);
    let (reduced, borrow) = sub_raw(&sum, m);
    if carry || !borrow {
        reduced
    } else {
        sum
    }
}

/// `a − b mod m` for `a, b < m`.
#[inline]
fn sub_mod(a: &Limbs, b: &Limbs, m: &Limbs) -> Limbs {
    let (difference, borrow) = sub_raw(a, b);
    if borrow {
        add_raw(&difference, m).0
    } else {
        difference
    }
}

fn one() -> Limbs {
    let mut one = [0u32; 8];
    one[0] = 1;
    one
}

impl Montgomery {
    /// `a·b·R⁻¹ mod m` for `a, b < m` (Montgomery multiplication, operands scanned word by word).
    fn mul(&self, a: &Limbs, b: &Limbs) -> Limbs {
        // t < 2m < 2²⁵⁷ throughout: eight words and `top`.
        let mut t = [0u32; 8];
        let mut top = 0u32;
        for &word in b {
            let mut carry = 0u64;
            for (t_j, &a_j) in t.iter_mut().zip(a) {
                let x = u64::from(*t_j) + u64::from(a_j) * u64::from(word) + carry;
                *t_j = x as u32;
                carry = x >> 32;
            }
            let x = u64::from(top) + carry;
            let overflow = x >> 32;
            top = x as u32;

            // Add q·m, which makes the lowest word zero, and drop that word.
            let q = t[0].wrapping_mul(self.neg_inv);
            let x = u64::from(t[0]) + u64::from(q) * u64::from(self.value[0]);
            let mut carry = x >> 32;
            let mut shifted = [0u32; 8];
            for ((s, &t_j), &m_j) in shifted.iter_mut().zip(&t[1..]).zip(&self.value[1..]) {
                let x = u64::from(t_j) + u64::from(q) * u64::from(m_j) + carry;
                *s = x as u32;
                carry = x >> 32;
            }
            let x = u64::from(top) + carry;
            shifted[7] = x as u32;
            top = (overflow + (x >> 32)) as u32;
            t = shifted;
        }
        if top != 0 || !less_than(&t, &self.value) {
            sub_raw(&t, &self.value).0
        } else {
            t
        }
    }

    /// A number below `m` into Montgomery form.
    fn to_montgomery(&self, a: &Limbs) -> Limbs {
        self.mul(a, &self.r_squared)
    }
}

/// `a⁻¹ mod m` for an odd prime `m` and `0 < a < m`, by the binary extended Euclidean algorithm
/// (variable time, for public values): `u = x1·a` and `v = x2·a` (mod m) hold throughout while `u`
/// and `v` shrink to their gcd, 1.
fn invert_vartime(a: &Limbs, m: &Limbs) -> Limbs {
    let (mut u, mut v) = (*a, *m);
    let (mut x1, mut x2) = (one(), [0u32; 8]);
    let unit = one();
    // Each step halves `u` or `v` or makes one of them smaller: at most 2·256 + 2 rounds.
    for _ in 0..1024 {
        if u == unit {
            return x1;
        }
        if v == unit {
            return x2;
        }
        if is_zero(&u) || is_zero(&v) {
            break;
        }
        while u[0] & 1 == 0 {
            u = shift_right(&u, false);
            x1 = halve_mod(&x1, m);
        }
        while v[0] & 1 == 0 {
            v = shift_right(&v, false);
            x2 = halve_mod(&x2, m);
        }
        if less_than(&u, &v) {
            v = sub_raw(&v, &u).0;
            x2 = sub_mod(&x2, &x1, m);
        } else {
            u = sub_raw(&u, &v).0;
            x1 = sub_mod(&x1, &x2, m);
        }
    }
    // Only for an `a` without an inverse (0, or a multiple of a non-prime m): never in use.
    [0u32; 8]
}

/// `x / 2 mod m` for an odd `m` and `x < m`.
fn halve_mod(x: &Limbs, m: &Limbs) -> Limbs {
    if x[0] & 1 == 0 {
        shift_right(x, false)
    } else {
        let (sum, carry) = add_raw(x, m);
        shift_right(&sum, carry)
    }
}

/// `(top·2²⁵⁶ + x) >> 1`.
fn shift_right(x: &Limbs, top: bool) -> Limbs {
    let mut out = [0u32; 8];
    let mut high = u32::from(top);
    for (word, &value) in out.iter_mut().zip(x).rev() {
        *word = (value >> 1) | (high << 31);
        high = value & 1;
    }
    out
}

/// The 512-bit product of two numbers, as sixteen words, row by row.
// Constant bounds (i, j < 8, so i + j + 1 < 16): the loops unroll and the indexing cannot fail.
#[allow(clippy::indexing_slicing)]
#[inline(never)]
fn product(a: &Limbs, b: &Limbs) -> [u32; 16] {
    let mut words = [0u32; 16];
    for i in 0..8 {
        let mut carry = 0u64;
        for j in 0..8 {
            let x = u64::from(words[i + j]) + u64::from(a[i]) * u64::from(b[j]) + carry;
            words[i + j] = x as u32;
            carry = x >> 32;
        }
        words[i + 8] = carry as u32;
    }
    words
}

/// The 512-bit square of a number: each cross product once, doubled, then the squares of the
/// words (36 multiplications instead of 64).
// Constant bounds, as in `product`.
#[allow(clippy::indexing_slicing)]
#[inline(never)]
fn square_product(a: &Limbs) -> [u32; 16] {
    let mut words = [0u32; 16];
    for i in 0..7 {
        let mut carry = 0u64;
        for j in i + 1..8 {
            let x = u64::from(words[i + j]) + u64::from(a[i]) * u64::from(a[j]) + carry;
            words[i + j] = x as u32;
            carry = x >> 32;
        }
        words[i + 8] = carry as u32;
    }
    let mut carry = 0u64;
    for (i, &word) in a.iter().enumerate() {
        let square = u64::from(word) * u64::from(word);
        for (k, half) in [(2 * i, square as u32), (2 * i + 1, (square >> 32) as u32)] {
            let x = (u64::from(words[k]) << 1) + u64::from(half) + carry;
            words[k] = x as u32;
            carry = x >> 32;
        }
    }
    words
}

/// A 512-bit number mod p, by p's special form (FIPS 186-4, D.2.3: with 2²⁵⁶ ≡ 2²²⁴ − 2¹⁹² −
/// 2⁹⁶ + 1, each high word folds into the low ones with small signed coefficients).
fn reduce(c: &[u32; 16]) -> Limbs {
    let w = |i: usize| c.get(i).map_or(0, |&word| i64::from(word));
    let sums = [
        w(0) + w(8) + w(9) - w(11) - w(12) - w(13) - w(14),
        w(1) + w(9) + w(10) - w(12) - w(13) - w(14) - w(15),
        w(2) + w(10) + w(11) - w(13) - w(14) - w(15),
        w(3) + 2 * (w(11) + w(12)) + w(13) - w(15) - w(8) - w(9),
        w(4) + 2 * (w(12) + w(13)) + w(14) - w(9) - w(10),
        w(5) + 2 * (w(13) + w(14)) + w(15) - w(10) - w(11),
        w(6) + 3 * w(14) + 2 * w(15) + w(13) - w(8) - w(9),
        w(7) + 3 * w(15) + w(8) - w(10) - w(11) - w(12) - w(13),
    ];
    let (mut out, mut top) = carry_signed(&sums);
    // The value is out + top·2²⁵⁶ with a small top: fold top in the same way, twice at most.
    while top != 0 {
        let mut folded = [0i64; 8];
        for (slot, &word) in folded.iter_mut().zip(&out) {
            *slot = i64::from(word);
        }
        folded[0] += top;
        folded[3] -= top;
        folded[6] -= top;
        folded[7] += top;
        (out, top) = carry_signed(&folded);
        // Close to a multiple of 2²⁵⁶: a last step of ±p instead of another fold.
        if top == 1 {
            out = sub_raw(&out, &P).0;
            top = 0;
        } else if top == -1 {
            out = add_raw(&out, &P).0;
            top = 0;
        }
    }
    if less_than(&out, &P) {
        out
    } else {
        sub_raw(&out, &P).0
    }
}

/// Signed column sums into words: the words and the signed carry out of the top.
fn carry_signed(sums: &[i64; 8]) -> (Limbs, i64) {
    let mut out = [0u32; 8];
    let mut carry = 0i64;
    for (word, &sum) in out.iter_mut().zip(sums) {
        let x = sum + carry;
        *word = x as u32;
        carry = x >> 32;
    }
    (out, carry)
}

/// A field element: a number below p, so equal elements have equal words.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Fe(Limbs);

impl Fe {
    const ZERO: Fe = Fe([0; 8]);

    /// A number below `p`; `None` otherwise.
    fn from_number(number: &Limbs) -> Option<Fe> {
        less_than(number, &P).then_some(Fe(*number))
    }

    fn one() -> Fe {
        Fe(one())
    }

    fn is_zero(&self) -> bool {
        is_zero(&self.0)
    }

    fn is_odd(&self) -> bool {
        self.0[0] & 1 == 1
    }

    #[inline(never)]
    fn add(&self, other: &Fe) -> Fe {
        Fe(add_mod(&self.0, &other.0, &P))
    }

    fn sub(&self, other: &Fe) -> Fe {
        Fe(sub_mod(&self.0, &other.0, &P))
    }

    #[inline(never)]
    fn mul(&self, other: &Fe) -> Fe {
        Fe(reduce(&product(&self.0, &other.0)))
    }

    #[inline(never)]
    fn square(&self) -> Fe {
        Fe(reduce(&square_product(&self.0)))
    }

    fn double(&self) -> Fe {
        self.add(self)
    }

    fn negate(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// `self^exponent`, with 4-bit windows.
    fn pow(&self, exponent: &Limbs) -> Fe {
        let mut powers = [Fe::one(); 16];
        let mut previous = Fe::one();
        for power in powers.iter_mut().skip(1) {
            previous = previous.mul(self);
            *power = previous;
        }
        let mut result = Fe::one();
        for word in exponent.iter().rev() {
            for shift in (0..8).rev() {
                for _ in 0..4 {
                    result = result.square();
                }
                let nibble = (word >> (shift * 4)) & 0xf;
                if nibble != 0 {
                    if let Some(power) = powers.get(nibble as usize) {
                        result = result.mul(power);
                    }
                }
            }
        }
        result
    }

    /// `1 / self` for a non-zero element.
    fn invert(&self) -> Fe {
        Fe(invert_vartime(&self.0, &P))
    }

    /// A square root, when there is one.
    fn sqrt(&self) -> Option<Fe> {
        let root = self.pow(&SQRT_EXPONENT);
        (root.square() == *self).then_some(root)
    }
}

/// `x³ − 3x + b`: y² for a point of abscissa x.
fn curve_rhs(x: &Fe) -> Fe {
    let b = Fe(B);
    let three_x = x.double().add(x);
    x.square().mul(x).sub(&three_x).add(&b)
}

/// A point in affine coordinates, never the point at infinity.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Affine {
    x: Fe,
    y: Fe,
}

impl Affine {
    /// A filler for tables about to be written (not a point of the curve).
    const PLACEHOLDER: Affine = Affine {
        x: Fe::ZERO,
        y: Fe::ZERO,
    };

    fn negate(&self) -> Affine {
        Affine {
            x: self.x,
            y: self.y.negate(),
        }
    }
}

/// A point in Jacobian coordinates: `(X / Z², Y / Z³)`, the point at infinity when `Z = 0`.
#[derive(Clone, Copy)]
struct Jacobian {
    x: Fe,
    y: Fe,
    z: Fe,
}

impl Jacobian {
    const INFINITY: Jacobian = Jacobian {
        x: Fe::ZERO,
        y: Fe::ZERO,
        z: Fe::ZERO,
    };

    fn from_affine(point: &Affine) -> Jacobian {
        Jacobian {
            x: point.x,
            y: point.y,
            z: Fe::one(),
        }
    }

    fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    fn negate(&self) -> Jacobian {
        Jacobian {
            x: self.x,
            y: self.y.negate(),
            z: self.z,
        }
    }

    /// `2·self` for a = −3 ("dbl-2001-b"); the point at infinity doubles to itself (Z stays 0).
    fn double(&self) -> Jacobian {
        let delta = self.z.square();
        let gamma = self.y.square();
        let beta = self.x.mul(&gamma);
        let alpha = {
            let t = self.x.sub(&delta).mul(&self.x.add(&delta));
            t.double().add(&t)
        };
        let four_beta = beta.double().double();
        let x = alpha.square().sub(&four_beta.double());
        let z = self.y.add(&self.z).square().sub(&gamma).sub(&delta);
        let eight_gamma_squared = gamma.square().double().double().double();
        let y = alpha.mul(&four_beta.sub(&x)).sub(&eight_gamma_squared);
        Jacobian { x, y, z }
    }

    /// `self + other` for an affine `other`.
    fn add_affine(&self, other: &Affine) -> Jacobian {
        if self.is_infinity() {
            return Jacobian::from_affine(other);
        }
        let z1z1 = self.z.square();
        let u2 = other.x.mul(&z1z1);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        self.add_with(&self.x, &self.y, u2, s2, |h| self.z.mul(h))
    }

    /// `self + other`.
    fn add(&self, other: &Jacobian) -> Jacobian {
        if self.is_infinity() {
            return *other;
        }
        if other.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = other.z.square();
        let u1 = self.x.mul(&z2z2);
        let s1 = self.y.mul(&other.z).mul(&z2z2);
        let u2 = other.x.mul(&z1z1);
        let s2 = other.y.mul(&self.z).mul(&z1z1);
        self.add_with(&u1, &s1, u2, s2, |h| self.z.mul(&other.z).mul(h))
    }

    /// The rest of an addition once both points are brought to the same `Z²`, `Z³` scale: `(u1, s1)`
    /// is `self`, `(u2, s2)` the other point; `z_of` makes the sum's Z from `H`.
    fn add_with(&self, u1: &Fe, s1: &Fe, u2: Fe, s2: Fe, z_of: impl FnOnce(&Fe) -> Fe) -> Jacobian {
        let h = u2.sub(u1);
        let r = s2.sub(s1);
        if h.is_zero() {
            // The same x: the same point (double it) or its negation (the sum is infinity).
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::INFINITY
            };
        }
        let hh = h.square();
        let hhh = h.mul(&hh);
        let v = u1.mul(&hh);
        let x = r.square().sub(&hhh).sub(&v.double());
        let y = r.mul(&v.sub(&x)).sub(&s1.mul(&hhh));
        Jacobian { x, y, z: z_of(&h) }
    }
}

/// Affine forms of Jacobian points, with one inversion for all (Montgomery's trick), into `out`
/// (as long as `points`). None of the points may be the point at infinity.
fn to_affine_all(points: &[Jacobian], out: &mut [Affine]) {
    // Each slot's x holds the product of the Z's before its point until the slot is filled.
    let mut running = Fe::one();
    for (slot, point) in out.iter_mut().zip(points) {
        slot.x = running;
        running = running.mul(&point.z);
    }
    let mut inverse = running.invert();
    for (slot, point) in out.iter_mut().zip(points).rev() {
        let z_inverse = inverse.mul(&slot.x);
        inverse = inverse.mul(&point.z);
        let zz = z_inverse.square();
        *slot = Affine {
            x: point.x.mul(&zz),
            y: point.y.mul(&zz).mul(&z_inverse),
        };
    }
}

/// `[1, 3, 5, …]·point` into `multiples`.
fn odd_multiples(point: &Jacobian, multiples: &mut [Jacobian]) {
    let twice = point.double();
    let mut previous = *point;
    for (index, slot) in multiples.iter_mut().enumerate() {
        if index > 0 {
            previous = previous.add(&twice);
        }
        *slot = previous;
    }
}

/// Odd multiples `[1, 3, …, 2·LEN − 1]·2^(32i)·P` of a point `P` for each 32-bit word `i` of a
/// scalar, affine: with them a multiplication takes 32 doublings instead of 256.
type WordTables<const LEN: usize> = [[Affine; LEN]; 8];

fn word_tables<const LEN: usize>(point: &Affine) -> WordTables<LEN> {
    let mut tables = [[Affine::PLACEHOLDER; LEN]; 8];
    fill_word_tables(point, tables.as_flattened_mut());
    tables
}

/// [`word_tables`] of any length, flattened (one copy of the code for every length).
fn fill_word_tables(point: &Affine, tables: &mut [Affine]) {
    let len = tables.len() / 8;
    let mut multiples = [Jacobian::INFINITY; 8 * GENERATOR_TABLE_LEN];
    let multiples = multiples.get_mut(..tables.len()).unwrap_or_default();
    let mut base = Jacobian::from_affine(point);
    for word in multiples.chunks_exact_mut(len.max(1)) {
        odd_multiples(&base, word);
        for _ in 0..32 {
            base = base.double();
        }
    }
    to_affine_all(multiples, tables);
}

const GENERATOR_TABLE_LEN: usize = 1 << (GENERATOR_WINDOW - 2);
const KEY_TABLE_LEN: usize = 1 << (TABLED_KEY_WINDOW - 2);

/// The generator's word tables (32 KiB of memory, computed on first use, instead of 32 KiB of
/// constants in the module); the first is the table of a whole 256-bit wNAF.
fn generator_tables() -> &'static WordTables<GENERATOR_TABLE_LEN> {
    static TABLES: OnceLock<WordTables<GENERATOR_TABLE_LEN>> = OnceLock::new();
    TABLES.get_or_init(|| {
        word_tables(&Affine {
            x: Fe(GENERATOR_X),
            y: Fe(GENERATOR_Y),
        })
    })
}

/// The width-`window` non-adjacent form of the number whose 32-bit words (least significant
/// first, at most eight) are `words`: digits odd and below 2^(window−1) in size, at least
/// `window − 1` zeros between two of them, `Σ digit·2^position = number`. A number of `32·w` bits
/// has at most `32·w + 1` digits; `digits` must be zeros and long enough.
fn wnaf(words: &[u32], window: u32, digits: &mut [i8]) {
    // The number with a word more: subtracting a negative digit may carry past its top.
    let mut k = [0u32; 9];
    for (slot, word) in k.iter_mut().zip(words.iter().take(8)) {
        *slot = *word;
    }
    let modulus = 1i64 << window;
    for digit in digits.iter_mut() {
        if k.iter().all(|&word| word == 0) {
            break;
        }
        if k[0] & 1 == 1 {
            let mut d = i64::from(k[0]) & (modulus - 1);
            if d >= modulus / 2 {
                d -= modulus;
            }
            *digit = d as i8;
            // k −= d (k's low bits are d's, so this never borrows below zero).
            let (mut carry, mut first) = (-d, true);
            for word in k.iter_mut() {
                if carry == 0 && !first {
                    break;
                }
                first = false;
                let t = i64::from(*word) + carry;
                *word = t as u32;
                carry = t >> 32;
            }
        }
        // k >>= 1
        let mut high = 0u32;
        for word in k.iter_mut().rev() {
            let low = *word & 1;
            *word = (*word >> 1) | (high << 31);
            high = low;
        }
    }
}

/// A P-256 public key: a point on the curve (not the point at infinity).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct P256Key(Affine);

impl P256Key {
    /// A key from its 33-byte compressed or 65-byte uncompressed SEC1 form; `None` for any other
    /// form, a coordinate not below `p`, or a point not on the curve.
    pub(super) fn from_sec1(bytes: &[u8]) -> Option<P256Key> {
        let (&prefix, rest) = bytes.split_first()?;
        let x_bytes: &[u8; 32] = rest.get(..32)?.try_into().ok()?;
        let x = Fe::from_number(&limbs_from_be(x_bytes))?;
        let rhs = curve_rhs(&x);
        let y = match (prefix, rest.len()) {
            (0x02 | 0x03, 32) => {
                let root = rhs.sqrt()?;
                if root.is_odd() == (prefix == 0x03) {
                    root
                } else {
                    root.negate()
                }
            }
            (0x04, 64) => {
                let y_bytes: &[u8; 32] = rest.get(32..)?.try_into().ok()?;
                let y = Fe::from_number(&limbs_from_be(y_bytes))?;
                if y.square() != rhs {
                    return None;
                }
                y
            }
            _ => return None,
        };
        Some(P256Key(Affine { x, y }))
    }

    pub(super) fn compressed(&self) -> [u8; 33] {
        let mut out = [0u8; 33];
        out[0] = if self.0.y.is_odd() { 0x03 } else { 0x02 };
        out[1..].copy_from_slice(&limbs_to_be(&self.0.x.0));
        out
    }

    pub(super) fn uncompressed(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[0] = 0x04;
        out[1..33].copy_from_slice(&limbs_to_be(&self.0.x.0));
        out[33..].copy_from_slice(&limbs_to_be(&self.0.y.0));
        out
    }

    /// Whether `compact` (`r‖s`, with `r` and `s` in `1..n`: see [`scalars_in_range`]) is this
    /// key's ECDSA signature of `prehash`. Any `s` verifies: the low-S rule is the caller's.
    pub(super) fn verify_prehash(&self, prehash: &[u8; 32], compact: &[u8; 64]) -> bool {
        let (r, s) = split(compact);
        if !in_range(&r) || !in_range(&s) {
            return false;
        }
        // The hash as a number mod n: below 2²⁵⁶ < 2n, so one subtraction at most.
        let mut e = limbs_from_be(prehash);
        if !less_than(&e, &N.value) {
            e = sub_raw(&e, &N.value).0;
        }
        // u1 = e / s, u2 = r / s. Montgomery multiplication of a plain number by a Montgomery
        // form gives a plain number.
        let s_inverse = N.to_montgomery(&invert_vartime(&s, &N.value));
        let u1 = N.mul(&e, &s_inverse);
        let u2 = N.mul(&r, &s_inverse);

        let key = &self.0;
        let (sum, used) = match KEY_TABLES.with(|cache| cache.borrow().lookup(key)) {
            Ok(tables) => (tabled_multiply(&u1, &u2, &tables), TableUse::Cached),
            Err(true) => {
                let tables = Rc::new(word_tables(key));
                (tabled_multiply(&u1, &u2, &tables), TableUse::Built(tables))
            }
            Err(false) => (double_multiply(&u1, &u2, key), TableUse::Without),
        };
        let verified = !sum.is_infinity() && abscissa_matches(&sum, &r);
        if verified {
            KEY_TABLES.with(|cache| cache.borrow_mut().record_success(key, used));
        }
        verified
    }
}

/// Whether the affine x of `point` (not the point at infinity), taken mod n, is `r`:
/// `X = r·Z²`, or `X = (r + n)·Z²` when `r + n < p`.
fn abscissa_matches(point: &Jacobian, r: &Limbs) -> bool {
    let zz = point.z.square();
    let matches = |candidate: &Limbs| {
        Fe::from_number(candidate).is_some_and(|candidate| candidate.mul(&zz) == point.x)
    };
    if matches(r) {
        return true;
    }
    let (r_plus_n, carry) = add_raw(r, &N.value);
    !carry && matches(&r_plus_n)
}

/// The odd multiples `[1, 3, 5, …]·P` a stream of wNAF digits adds.
#[derive(Clone, Copy)]
enum Multiples<'a> {
    Affine(&'a [Affine]),
    Jacobian(&'a [Jacobian]),
}

/// `Σ_i Σ_j digits_i[j]·2^j·P_i` for streams of wNAF digits `digits_i`, each with the odd
/// multiples of its point `P_i`: one chain of doublings for all (Straus's interleaving).
fn interleaved(streams: &[(&[i8], Multiples<'_>)]) -> Jacobian {
    let longest = streams.iter().map(|(digits, _)| digits.len()).max();
    let Some(top) = (0..longest.unwrap_or(0)).rev().find(|&position| {
        streams
            .iter()
            .any(|(digits, _)| digits.get(position).is_some_and(|&digit| digit != 0))
    }) else {
        return Jacobian::INFINITY;
    };
    let mut sum = Jacobian::INFINITY;
    for position in (0..=top).rev() {
        sum = sum.double();
        for (digits, multiples) in streams {
            let digit = digits.get(position).copied().unwrap_or(0);
            if digit == 0 {
                continue;
            }
            let index = usize::from(digit.unsigned_abs() >> 1);
            sum = match multiples {
                Multiples::Affine(table) => match table.get(index) {
                    Some(point) if digit > 0 => sum.add_affine(point),
                    Some(point) => sum.add_affine(&point.negate()),
                    None => sum,
                },
                Multiples::Jacobian(table) => match table.get(index) {
                    Some(point) if digit > 0 => sum.add(point),
                    Some(point) => sum.add(&point.negate()),
                    None => sum,
                },
            };
        }
    }
    sum
}

/// `u1·G + u2·key` over whole 256-bit wNAFs, with the key's multiples made for this call.
fn double_multiply(u1: &Limbs, u2: &Limbs, key: &Affine) -> Jacobian {
    let [generator, ..] = generator_tables();
    let mut key_multiples = [Jacobian::INFINITY; 1 << (KEY_WINDOW - 2)];
    odd_multiples(&Jacobian::from_affine(key), &mut key_multiples);
    let mut generator_digits = [0i8; 257];
    wnaf(u1, GENERATOR_WINDOW, &mut generator_digits);
    let mut key_digits = [0i8; 257];
    wnaf(u2, KEY_WINDOW, &mut key_digits);
    interleaved(&[
        (&generator_digits, Multiples::Affine(generator)),
        (&key_digits, Multiples::Jacobian(&key_multiples)),
    ])
}

/// `u1·G + u2·key` with the key's word tables: sixteen streams of 33 digits, one for each 32-bit
/// word of either scalar.
fn tabled_multiply(u1: &Limbs, u2: &Limbs, key: &WordTables<KEY_TABLE_LEN>) -> Jacobian {
    let generator = generator_tables();
    let mut digits = [[0i8; 33]; 16];
    let (generator_digits, key_digits) = digits.split_at_mut(8);
    for (word_digits, word) in generator_digits.iter_mut().zip(u1) {
        wnaf(std::slice::from_ref(word), GENERATOR_WINDOW, word_digits);
    }
    for (word_digits, word) in key_digits.iter_mut().zip(u2) {
        wnaf(std::slice::from_ref(word), TABLED_KEY_WINDOW, word_digits);
    }
    let mut streams = [(&[][..], Multiples::Affine(&[])); 16];
    let tables = generator.iter().map(|table| table.as_slice());
    let tables = tables.chain(key.iter().map(|table| table.as_slice()));
    for ((stream, word_digits), table) in streams.iter_mut().zip(&digits).zip(tables) {
        *stream = (word_digits.as_slice(), Multiples::Affine(table));
    }
    interleaved(&streams)
}

/// Word tables of the P-256 keys that verify repeatedly (a firehose account's commits, a
/// did:plc log's rotation keys), on each thread. A key's second successful verification builds
/// its tables (a little more work than one verification), which make each later one about 2.5
/// times as fast; a key seen once costs no more than before. Tables are built only into a free
/// slot or one whose key has been idle for [`IDLE`] verifications, so keys taking turns beyond
/// the cache's size do not evict each other's tables at every turn. About 132 KiB at most (16 keys'
/// tables and 64 keys seen once). Changed only by successful verifications: a failed call leaves
/// it as it was.
#[derive(Default)]
struct KeyTableCache {
    /// Successful verifications so far: the clock of the tables' last uses.
    clock: u64,
    /// Keys that verified without tables, oldest first (at most [`SEEN_KEYS`]).
    seen: Vec<Affine>,
    /// Keys with tables, each with the clock of its last use (at most [`TABLED_KEYS`]).
    tabled: Vec<(Affine, Rc<WordTables<KEY_TABLE_LEN>>, u64)>,
}

/// Verifications after which a key's tables may give way to another key's.
const IDLE: u64 = 1024;

thread_local! {
    static KEY_TABLES: RefCell<KeyTableCache> = RefCell::default();
}

/// How a verification used the cache, for [`KeyTableCache::record_success`].
enum TableUse {
    /// The key had tables.
    Cached,
    /// The key had verified before and there was room: its tables were built for this call.
    Built(Rc<WordTables<KEY_TABLE_LEN>>),
    /// No tables.
    Without,
}

impl KeyTableCache {
    /// The key's tables if it has any, else whether to build them (it verified before, and a
    /// slot is free or idle).
    fn lookup(&self, key: &Affine) -> Result<Rc<WordTables<KEY_TABLE_LEN>>, bool> {
        match self.tabled.iter().find(|(tabled, ..)| tabled == key) {
            Some((_, tables, _)) => Ok(Rc::clone(tables)),
            None => Err(self.seen.contains(key)
                && (self.tabled.len() < TABLED_KEYS
                    || self
                        .tabled
                        .iter()
                        .any(|&(.., last)| self.clock.saturating_sub(last) >= IDLE))),
        }
    }

    fn record_success(&mut self, key: &Affine, used: TableUse) {
        self.clock += 1;
        match used {
            TableUse::Cached => {
                if let Some(entry) = self.tabled.iter_mut().find(|(tabled, ..)| tabled == key) {
                    entry.2 = self.clock;
                }
            }
            TableUse::Built(tables) => {
                self.seen.retain(|seen| seen != key);
                if self.tabled.len() >= TABLED_KEYS {
                    // The least recently used, idle (`lookup` saw one).
                    let oldest = self
                        .tabled
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, entry)| entry.2);
                    if let Some((index, _)) = oldest {
                        self.tabled.swap_remove(index);
                    }
                }
                self.tabled.push((*key, tables, self.clock));
            }
            TableUse::Without => {
                if !self.seen.contains(key) {
                    if self.seen.len() >= SEEN_KEYS {
                        self.seen.remove(0);
                    }
                    self.seen.push(*key);
                }
            }
        }
    }
}

fn split(compact: &[u8; 64]) -> (Limbs, Limbs) {
    let (r, s) = compact.split_at(32);
    let to_limbs = |half: &[u8]| {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(half);
        limbs_from_be(&bytes)
    };
    (to_limbs(r), to_limbs(s))
}

fn in_range(scalar: &Limbs) -> bool {
    !is_zero(scalar) && less_than(scalar, &N.value)
}

/// Whether `r` and `s` of `compact` are both in `1..n`.
pub(super) fn scalars_in_range(compact: &[u8; 64]) -> bool {
    let (r, s) = split(compact);
    in_range(&r) && in_range(&s)
}

/// Whether `s > (n − 1) / 2`.
pub(super) fn is_high_s(compact: &[u8; 64]) -> bool {
    less_than(&HALF_N, &split(compact).1)
}

/// `compact` with `s` replaced by `n − s` when it is high.
pub(super) fn normalized(compact: &[u8; 64]) -> [u8; 64] {
    let mut out = *compact;
    if is_high_s(compact) {
        let low = sub_raw(&N.value, &split(compact).1).0;
        out[32..].copy_from_slice(&limbs_to_be(&low));
    }
    out
}

impl std::fmt::Debug for P256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("P256Key").field(&self.compressed()).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test code
    use super::*;
    use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
    use proptest::prelude::*;

    /// A number below `modulus` from arbitrary bytes.
    fn below(modulus: &Limbs, bytes: &[u8; 32]) -> Limbs {
        let mut number = limbs_from_be(bytes);
        while !less_than(&number, modulus) {
            number = sub_raw(&number, modulus).0;
        }
        number
    }

    /// `a·b mod m` by doubling and adding, bit by bit: slow, and independent of Montgomery form.
    fn reference_mul(a: &Limbs, b: &Limbs, modulus: &Limbs) -> Limbs {
        let mut result = [0u32; 8];
        for word in b.iter().rev() {
            for bit in (0..32).rev() {
                result = add_mod(&result, &result, modulus);
                if word >> bit & 1 == 1 {
                    result = add_mod(&result, a, modulus);
                }
            }
        }
        result
    }

    #[test]
    fn constants_agree_with_their_definitions() {
        // −n⁻¹: n·neg_inv ≡ −1 (mod 2³²).
        assert_eq!(N.value[0].wrapping_mul(N.neg_inv), u32::MAX);
        // 1 enters Montgomery form as R mod n = 2²⁵⁶ − n, and leaves it as 1.
        let r_mod = sub_raw(&[0; 8], &N.value).0;
        assert_eq!(N.to_montgomery(&one()), r_mod);
        assert_eq!(N.mul(&N.to_montgomery(&one()), &one()), one());
        // 2·HALF_N + 1 = n; 4·SQRT_EXPONENT = p + 1.
        let twice = add_raw(&HALF_N, &HALF_N).0;
        assert_eq!(add_raw(&twice, &one()).0, N.value);
        let mut four = SQRT_EXPONENT;
        for _ in 0..2 {
            four = add_raw(&four, &four).0;
        }
        assert_eq!(sub_raw(&four, &one()).0, P);
        // The generator is on the curve and matches p256's.
        let generator = generator_tables()[0][0];
        assert!(curve_rhs(&generator.x) == generator.y.square());
        let theirs = p256::AffinePoint::GENERATOR;
        let encoded = p256::elliptic_curve::sec1::ToSec1Point::to_sec1_point(&theirs, false);
        assert_eq!(
            P256Key(generator).uncompressed().as_slice(),
            encoded.as_bytes()
        );
    }

    /// Products of extreme elements, where the fast reduction's carries are largest.
    #[test]
    fn field_products_of_extremes_match_the_reference() {
        let minus = |k: u32| {
            sub_raw(&P, &{
                let mut small = [0u32; 8];
                small[0] = k;
                small
            })
            .0
        };
        let mut extremes = vec![[0u32; 8], one(), minus(1), minus(2), minus(0xffff_ffff)];
        for word in 0..8 {
            let mut only = [0u32; 8];
            only[word] = 0xffff_ffff;
            extremes.push(below(&P, &limbs_to_be(&only)));
            extremes.push(below(&P, &limbs_to_be(&sub_raw(&[u32::MAX; 8], &only).0)));
        }
        for x in &extremes {
            assert_eq!(Fe(*x).square().0, reference_mul(x, x, &P), "{x:x?}");
            for y in &extremes {
                assert_eq!(
                    Fe(*x).mul(&Fe(*y)).0,
                    reference_mul(x, y, &P),
                    "{x:x?} {y:x?}"
                );
            }
        }
    }

    #[test]
    fn wnaf_digits_recompose_the_scalar() {
        let mut extremes = vec![[0u32; 8], one(), [u32::MAX; 8], N.value];
        extremes[3][0] -= 1; // n − 1
        for scalar in extremes {
            for window in [KEY_WINDOW, GENERATOR_WINDOW] {
                let mut digits = [0i8; 257];
                wnaf(&scalar, window, &mut digits);
                // Σ digit·2^i, from the top: twice, then add.
                let mut value = [0u32; 9];
                for &digit in digits.iter().rev() {
                    let mut carry = 0u64;
                    for word in value.iter_mut() {
                        let t = (u64::from(*word) << 1) | carry;
                        *word = t as u32;
                        carry = t >> 32;
                    }
                    let mut carry = i64::from(digit);
                    for word in value.iter_mut() {
                        let t = i64::from(*word) + carry;
                        *word = t as u32;
                        carry = t >> 32;
                    }
                }
                assert_eq!(value[..8], scalar[..], "window {window}");
                assert_eq!(value[8], 0);
                let mut last = None;
                for (position, &digit) in digits.iter().enumerate() {
                    if digit != 0 {
                        assert!(digit % 2 != 0 && i32::from(digit).abs() < 1 << (window - 1));
                        if let Some(last) = last {
                            assert!(position - last >= window as usize);
                        }
                        last = Some(position);
                    }
                }
            }
        }
    }

    /// The affine form of a point, `None` for the point at infinity.
    fn affine_of(point: &Jacobian) -> Option<Affine> {
        if point.is_infinity() {
            return None;
        }
        let mut out = [Affine::PLACEHOLDER];
        to_affine_all(std::slice::from_ref(point), &mut out);
        Some(out[0])
    }

    /// Scalars at the edges of the words and of the range.
    fn edge_scalars() -> Vec<Limbs> {
        let mut scalars = vec![[0u32; 8], one(), N.value, HALF_N];
        scalars[2][0] -= 1; // n − 1
        for word in [1, 2, 3, 4, 5, 6, 7] {
            let mut power = [0u32; 8];
            power[word] = 1; // 2^(32·word)
            scalars.push(power);
            let mut below_power = [0u32; 8];
            below_power[..word].fill(u32::MAX); // 2^(32·word) − 1
            scalars.push(below_power);
        }
        scalars
    }

    fn check_multiplications_agree(u1: &Limbs, u2: &Limbs, key: &Affine) {
        let whole = affine_of(&double_multiply(u1, u2, key));
        let tabled = affine_of(&tabled_multiply(u1, u2, &word_tables(key)));
        assert!(whole == tabled, "{u1:x?} {u2:x?}");
    }

    #[test]
    fn tabled_multiplication_agrees_at_the_edges() {
        let generator = generator_tables()[0][0];
        let other = affine_of(&double_multiply(
            &[7, 0, 0, 0, 0, 0, 0, 0],
            &[0; 8],
            &generator,
        ))
        .unwrap();
        for key in [generator, generator.negate(), other] {
            for u1 in edge_scalars() {
                for u2 in edge_scalars() {
                    check_multiplications_agree(&u1, &u2, &key);
                }
            }
        }
        // u1·G + u2·key = infinity when key = −(u1/u2)·G: here u1 = u2 and key = −G.
        let three = [3, 0, 0, 0, 0, 0, 0, 0];
        let tables = word_tables(&generator.negate());
        assert!(tabled_multiply(&three, &three, &tables).is_infinity());
    }

    /// A key's tables are built by its second successful verification, used by later ones, and a
    /// failed verification changes nothing.
    #[test]
    fn the_key_table_cache_changes_only_on_success() {
        std::thread::spawn(|| {
            let cached = |key: &P256Key| KEY_TABLES.with(|cache| cache.borrow().lookup(&key.0));
            let signer = p256::ecdsa::SigningKey::from_bytes(&[7u8; 32].into()).unwrap();
            let verifying = signer.verifying_key();
            let key = P256Key::from_sec1(verifying.to_sec1_point(false).as_bytes()).unwrap();
            let hash = [9u8; 32];
            let signature: p256::ecdsa::Signature = signer.sign_prehash(&hash).unwrap();
            let good: [u8; 64] = signature.to_bytes().into();
            let mut bad = good;
            bad[40] ^= 1;
            assert!(matches!(cached(&key), Err(false)));
            assert!(!key.verify_prehash(&hash, &bad));
            assert!(matches!(cached(&key), Err(false)));
            assert!(key.verify_prehash(&hash, &good));
            assert!(matches!(cached(&key), Err(true)));
            assert!(!key.verify_prehash(&hash, &bad));
            assert!(matches!(cached(&key), Err(true)));
            assert!(key.verify_prehash(&hash, &good));
            assert!(cached(&key).is_ok());
            assert!(!key.verify_prehash(&hash, &bad));
            assert!(key.verify_prehash(&hash, &good));
            // Other keys taking turns do not push it out while it is in use...
            let others: Vec<_> = (100..100 + TABLED_KEYS as u8)
                .map(|secret| {
                    let signer = p256::ecdsa::SigningKey::from_bytes(&[secret; 32].into()).unwrap();
                    let point = signer.verifying_key().to_sec1_point(false);
                    let other = P256Key::from_sec1(point.as_bytes()).unwrap();
                    let signature: p256::ecdsa::Signature = signer.sign_prehash(&hash).unwrap();
                    (other, <[u8; 64]>::from(signature.to_bytes()))
                })
                .collect();
            for (other, compact) in others.iter().chain(&others) {
                assert!(other.verify_prehash(&hash, compact));
            }
            assert!(cached(&key).is_ok());
            // ... but once it has been idle for IDLE verifications, the next key that verified
            // before takes its slot (the others fill the rest).
            let (last, last_signature) = others.last().unwrap();
            for _ in 0..IDLE {
                assert!(others[0].0.verify_prehash(&hash, &others[0].1));
            }
            assert!(matches!(cached(last), Err(true)));
            assert!(last.verify_prehash(&hash, last_signature));
            assert!(cached(last).is_ok());
            assert!(matches!(cached(&key), Err(false)));
            assert!(key.verify_prehash(&hash, &good));
        })
        .join()
        .unwrap();
    }

    /// A point whose x is in `n..p`, so that `x mod n = x − n`: the second branch of the final
    /// comparison, which a random signature almost never reaches.
    #[test]
    fn an_abscissa_above_n_matches_r_plus_n() {
        let mut x_number = N.value;
        let point = loop {
            x_number = add_raw(&x_number, &one()).0;
            let x = Fe::from_number(&x_number).unwrap();
            if let Some(y) = curve_rhs(&x).sqrt() {
                break Affine { x, y };
            }
        };
        // A Jacobian form of it with Z = 7.
        let mut seven = [0u32; 8];
        seven[0] = 7;
        let z = Fe(seven);
        let zz = z.square();
        let sum = Jacobian {
            x: point.x.mul(&zz),
            y: point.y.mul(&zz).mul(&z),
            z,
        };
        let r = sub_raw(&x_number, &N.value).0;
        assert!(abscissa_matches(&sum, &r));
        assert!(!abscissa_matches(&sum, &add_raw(&r, &one()).0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn field_and_scalar_arithmetic_agree_with_p256(a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            use p256::elliptic_curve::ff::PrimeField;
            let (x, y) = (below(&P, &a), below(&P, &b));
            let (fx, fy) = (Fe::from_number(&x).unwrap(), Fe::from_number(&y).unwrap());
            prop_assert_eq!(fx.mul(&fy).0, reference_mul(&x, &y, &P));
            prop_assert_eq!(fx.square().0, reference_mul(&x, &x, &P));
            let sum = fx.add(&fy).0;
            prop_assert_eq!(sub_mod(&sum, &y, &P), x);
            prop_assert_eq!(fx.sub(&fy).0, sub_mod(&x, &y, &P));
            if !fx.is_zero() {
                prop_assert!(fx.invert().mul(&fx) == Fe::one());
            }
            // Scalars mod n.
            let (s, t) = (below(&N.value, &a), below(&N.value, &b));
            let scalar = |n: &Limbs| p256::Scalar::from_repr(limbs_to_be(n).into()).unwrap();
            let product = N.mul(&s, &N.to_montgomery(&t));
            assert_eq!(limbs_to_be(&product), <[u8; 32]>::from((scalar(&s) * scalar(&t)).to_repr()));
            if !is_zero(&s) {
                let inverse = invert_vartime(&s, &N.value);
                prop_assert_eq!(N.mul(&N.to_montgomery(&inverse), &s), one());
                assert_eq!(limbs_to_be(&inverse), <[u8; 32]>::from(scalar(&s).invert().unwrap().to_repr()));
            }
        }

        #[test]
        fn keys_parse_and_encode_as_p256_does(prefix in 0u8..6, x in any::<[u8; 32]>(), y in any::<[u8; 32]>()) {
            // Arbitrary x: about half are abscissas of points.
            let mut compressed = vec![prefix];
            compressed.extend_from_slice(&x);
            let ours = P256Key::from_sec1(&compressed);
            // p256 also takes SEC1's "compact" tag 05 (x alone, either y); atproto keys never use it.
            let theirs = p256::ecdsa::VerifyingKey::from_sec1_bytes(&compressed)
                .ok()
                .filter(|_| prefix != 5);
            prop_assert_eq!(ours.is_some(), theirs.is_some());
            if let (Some(ours), Some(theirs)) = (ours, theirs) {
                let encoded = theirs.to_sec1_point(false);
                prop_assert_eq!(&ours.uncompressed()[..], encoded.as_bytes());
                prop_assert_eq!(&ours.compressed()[..], &compressed[..]);
                // Its uncompressed form parses back; a wrong y does not.
                prop_assert_eq!(P256Key::from_sec1(&ours.uncompressed()), Some(ours));
                let mut wrong = ours.uncompressed();
                wrong[33..].copy_from_slice(&y);
                prop_assert_eq!(
                    P256Key::from_sec1(&wrong).is_some(),
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&wrong).is_ok()
                );
            }
        }

        #[test]
        fn tabled_multiplication_agrees(u1 in any::<[u8; 32]>(), u2 in any::<[u8; 32]>(), k in any::<[u8; 32]>()) {
            let generator = generator_tables()[0][0];
            let (u1, u2) = (below(&N.value, &u1), below(&N.value, &u2));
            let Some(key) = affine_of(&double_multiply(&below(&N.value, &k), &[0; 8], &generator)) else {
                return Ok(());
            };
            check_multiplications_agree(&u1, &u2, &key);
        }

        #[test]
        fn verification_agrees_with_p256(secret in any::<[u8; 32]>(), prehash in any::<[u8; 32]>(), flip in 0usize..(64 * 8 + 32 * 8 + 1)) {
            let Ok(signer) = p256::ecdsa::SigningKey::from_bytes(&secret.into()) else {
                return Ok(());
            };
            let verifying = *signer.verifying_key();
            let key = P256Key::from_sec1(verifying.to_sec1_point(false).as_bytes()).unwrap();
            let signature: p256::ecdsa::Signature = signer.sign_prehash(&prehash).unwrap();
            let mut compact: [u8; 64] = signature.to_bytes().into();
            let mut hash = prehash;
            // A valid signature verifies, in both S forms.
            prop_assert!(key.verify_prehash(&hash, &compact));
            let twin = sub_raw(&N.value, &split(&compact).1).0;
            let mut other_s = compact;
            other_s[32..].copy_from_slice(&limbs_to_be(&twin));
            prop_assert!(key.verify_prehash(&hash, &other_s));
            // One bit flipped in the signature or the hash (or none, the last value): both agree.
            if flip < 64 * 8 {
                compact[flip / 8] ^= 1 << (flip % 8);
            } else if flip < 64 * 8 + 32 * 8 {
                let bit = flip - 64 * 8;
                hash[bit / 8] ^= 1 << (bit % 8);
            }
            let theirs = p256::ecdsa::Signature::from_bytes(&compact.into())
                .is_ok_and(|s| verifying.verify_prehash(&hash, &s).is_ok());
            prop_assert_eq!(key.verify_prehash(&hash, &compact), theirs);
        }
    }
}
