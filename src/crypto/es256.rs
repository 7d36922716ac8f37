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
//! - **The generator's table** (odd multiples up to 127·G, for 8-bit windows) is computed on first
//!   use and kept for the process: 4 KiB of memory instead of 4 KiB of constants in the module.

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
// threshold (`.cargo/config.toml`) they stayed calls, and P-256 verification was 8–11 % slower.

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

/// Affine forms of Jacobian points, with one inversion for all (Montgomery's trick). None of
/// the points may be the point at infinity.
fn to_affine_all<const COUNT: usize>(points: &[Jacobian; COUNT]) -> [Affine; COUNT] {
    let mut prefix = [Fe::one(); COUNT];
    let mut running = Fe::one();
    for (slot, point) in prefix.iter_mut().zip(points) {
        *slot = running;
        running = running.mul(&point.z);
    }
    let mut inverse = running.invert();
    let mut affine = [Affine {
        x: Fe::ZERO,
        y: Fe::ZERO,
    }; COUNT];
    for ((out, point), before) in affine.iter_mut().zip(points).zip(prefix).rev() {
        let z_inverse = inverse.mul(&before);
        inverse = inverse.mul(&point.z);
        let zz = z_inverse.square();
        *out = Affine {
            x: point.x.mul(&zz),
            y: point.y.mul(&zz).mul(&z_inverse),
        };
    }
    affine
}

/// `[1, 3, 5, …, 2·COUNT − 1]·point`.
fn odd_multiples<const COUNT: usize>(point: &Jacobian) -> [Jacobian; COUNT] {
    let twice = point.double();
    let mut multiples = [*point; COUNT];
    let mut previous = *point;
    for slot in multiples.iter_mut().skip(1) {
        previous = previous.add(&twice);
        *slot = previous;
    }
    multiples
}

const GENERATOR_TABLE_LEN: usize = 1 << (GENERATOR_WINDOW - 2);

fn generator_table() -> &'static [Affine; GENERATOR_TABLE_LEN] {
    static TABLE: OnceLock<[Affine; GENERATOR_TABLE_LEN]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let generator = Affine {
            x: Fe(GENERATOR_X),
            y: Fe(GENERATOR_Y),
        };
        to_affine_all(&odd_multiples(&Jacobian::from_affine(&generator)))
    })
}

/// The width-`window` non-adjacent form of `scalar`: digits odd and below 2^(window−1) in size,
/// at least `window − 1` zeros between two of them, `Σ digit·2^position = scalar`.
fn wnaf(scalar: &Limbs, window: u32) -> [i8; 257] {
    let mut digits = [0i8; 257];
    // The scalar with a ninth word: subtracting a negative digit may carry past 2²⁵⁶.
    let mut k = [0u32; 9];
    k[..8].copy_from_slice(scalar);
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
    digits
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

        let sum = double_multiply(&u1, &u2, &self.0);
        if sum.is_infinity() {
            return false;
        }
        abscissa_matches(&sum, &r)
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

/// `u1·G + u2·key`, by interleaved wNAF (one chain of doublings for both).
fn double_multiply(u1: &Limbs, u2: &Limbs, key: &Affine) -> Jacobian {
    let generator = generator_table();
    let key_multiples: [Jacobian; 1 << (KEY_WINDOW - 2)] =
        odd_multiples(&Jacobian::from_affine(key));
    let generator_digits = wnaf(u1, GENERATOR_WINDOW);
    let key_digits = wnaf(u2, KEY_WINDOW);
    let top = generator_digits
        .iter()
        .zip(&key_digits)
        .rposition(|(&a, &b)| a != 0 || b != 0);
    let Some(top) = top else {
        return Jacobian::INFINITY;
    };
    let mut sum = Jacobian::INFINITY;
    for (&g, &k) in generator_digits.iter().zip(&key_digits).take(top + 1).rev() {
        sum = sum.double();
        if g != 0 {
            if let Some(point) = generator.get(usize::from(g.unsigned_abs() >> 1)) {
                sum = sum.add_affine(&if g > 0 { *point } else { point.negate() });
            }
        }
        if k != 0 {
            if let Some(point) = key_multiples.get(usize::from(k.unsigned_abs() >> 1)) {
                sum = sum.add(&if k > 0 { *point } else { point.negate() });
            }
        }
    }
    sum
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
        let generator = generator_table()[0];
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
                let digits = wnaf(&scalar, window);
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
