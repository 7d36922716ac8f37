//! SHA-256 of many messages at once: a 4-lane multi-buffer hasher for wasm32 + SIMD128.
//!
//! A CAR holds many small blocks (a repository's are ~250 bytes), each hashed against its CID.
//! One SHA-256 is a serial chain of 64 rounds per 64-byte block, so a single message cannot use a
//! SIMD unit beyond its message schedule (what sha2's SIMD128 backend does). Four *independent*
//! messages can: lane `j` of every 128-bit vector holds message `j`'s 32-bit word, and every round
//! runs once for four messages. On native targets sha2 (with SHA-NI where the CPU has it) is
//! faster, so [`sha256_many`] is a plain loop over sha2 there.
//!
//! The tricky bits:
//!
//! - **Lengths differ.** Each lane walks its own message's *padded* block sequence: the message's
//!   whole 64-byte blocks read in place, then one or two final blocks built in a per-lane buffer
//!   (the tail, `0x80`, zeros, the bit length big-endian in the last 8 bytes; a second block when
//!   the tail leaves fewer than 9 bytes free, i.e. `len % 64 >= 56`). A message of `n` bytes has
//!   `(n + 9).div_ceil(64)` blocks; the empty message has one.
//! - **Lanes stay busy.** A scheduler refills a lane from the queue of messages as soon as its
//!   message's last block is compressed: the lane's eight state words are reset to the initial
//!   hash value with a lane mask (`v128_bitselect`) while the other lanes keep theirs. Lanes with
//!   nothing left to hash compress whatever their buffer holds, and the result is thrown away.
//! - **Digests come out per lane** (`u32x4_extract_lane` of the eight state vectors, big-endian),
//!   written to the output slot of that lane's message, so outputs are in input order whatever
//!   order the messages finish in.
//! - **Why four lanes gain less than four times.** wasm has no vector rotate (each of the six
//!   rotations per round is shift, shift, or) while scalar wasm has `i32.rotr`, so the vector code
//!   runs at the throughput of the vector units, about 59 operations per round; it still beats
//!   sha2's SIMD128 single-message code per block (docs/performance.md has the measurements). The
//!   rounds are written out sixteen at a time with the state names rotated and constant
//!   message-word indices (no index arithmetic, no register moves), and each vector of message
//!   words is loaded straight from the four lanes' blocks (in place, or the lane's padding buffer)
//!   with no intermediate copies. Tried and slower: computing the whole schedule first, building
//!   padding blocks word by word instead of copying the tail (wasm's `memory.copy` is a call out of
//!   compiled code, but the branches cost more), and a fifth message in scalar code interleaved
//!   with the vector rounds (it should use the idle integer units, but V8 then spills far more).
//!   Note for benchmarks: V8 has no on-stack replacement for wasm, so a hot loop inlined into a
//!   function called once never leaves the baseline tier.
//! - **No `unsafe`.** Vectors are built with `u32x4(..)` from scalar big-endian words and read with
//!   `u32x4_extract_lane`: the crate is compiled with `+simd128`, so the intrinsics are safe to call.

/// The SHA-256 of each message, written to `digests` in the same order (extra slots on either
/// side are left alone).
pub fn sha256_many(messages: &[&[u8]], digests: &mut [[u8; 32]]) {
    match (messages, digests) {
        // One message alone: sha2's one-lane code is faster than a quarter of four lanes.
        ([message], [digest, ..]) => *digest = crate::cid::sha256(message),
        (messages, digests) => imp::sha256_many(messages, digests),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::indexing_slicing)] // test code

    use super::sha256_many;
    use crate::cid::sha256;

    #[test]
    fn matches_sha2() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
        let messages: Vec<&[u8]> = (0..300).map(|len| &data[len..len * 2]).collect();
        let mut digests = vec![[0u8; 32]; messages.len() + 1];
        sha256_many(&messages, &mut digests);
        for (message, digest) in messages.iter().zip(&digests) {
            assert_eq!(*digest, sha256(message));
        }
        assert_eq!(digests[300], [0; 32]);
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    pub(super) fn sha256_many(messages: &[&[u8]], digests: &mut [[u8; 32]]) {
        for (message, digest) in messages.iter().zip(digests.iter_mut()) {
            *digest = crate::cid::sha256(message);
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::{
        i8x16_shuffle, u32x4, u32x4_add, u32x4_extract_lane, u32x4_shl, u32x4_shr, u32x4_splat,
        v128, v128_and, v128_bitselect, v128_or, v128_xor,
    };

    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];

    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];

    const LANES: usize = 4;

    /// One lane's message: where its output goes, the message, the next block to compress.
    #[derive(Clone, Copy)]
    struct Lane<'a> {
        slot: usize,
        message: &'a [u8],
        block: usize,
        blocks: usize,
    }

    impl Lane<'_> {
        /// This lane's current block if it is a whole 64 bytes of the message, read in place.
        #[inline(always)]
        fn whole_block(&self) -> Option<&[u8; 64]> {
            self.message.get(self.block * 64..)?.first_chunk::<64>()
        }

        /// Writes this lane's current block, one of the message's last one or two, into `pad`:
        /// the message's last bytes, 0x80 right after them (so not in a second padding block),
        /// zeros, and in the last block the length in bits, big-endian.
        fn pad_block(&self, pad: &mut [u8; 64]) {
            let start = self.block * 64;
            let tail = self.message.get(start..).unwrap_or_default();
            *pad = [0; 64];
            if let Some(head) = pad.get_mut(..tail.len()) {
                head.copy_from_slice(tail);
            }
            if start <= self.message.len() {
                if let Some(b) = pad.get_mut(tail.len()) {
                    *b = 0x80;
                }
            }
            if self.block + 1 == self.blocks {
                let bits = (self.message.len() as u64).wrapping_mul(8);
                if let Some(len) = pad.get_mut(56..) {
                    len.copy_from_slice(&bits.to_be_bytes());
                }
            }
        }
    }

    #[inline(always)]
    fn rotr<const R: u32, const L: u32>(x: v128) -> v128 {
        v128_or(u32x4_shr(x, R), u32x4_shl(x, L))
    }

    #[inline(always)]
    fn add(a: v128, b: v128) -> v128 {
        u32x4_add(a, b)
    }

    /// σ0 and σ1 of the message schedule.
    #[inline(always)]
    fn small_sigma0(x: v128) -> v128 {
        v128_xor(
            v128_xor(rotr::<7, 25>(x), rotr::<18, 14>(x)),
            u32x4_shr(x, 3),
        )
    }

    #[inline(always)]
    fn small_sigma1(x: v128) -> v128 {
        v128_xor(
            v128_xor(rotr::<17, 15>(x), rotr::<19, 13>(x)),
            u32x4_shr(x, 10),
        )
    }

    /// One round on the state words named `a`…`h` (the caller rotates the names from round to
    /// round, so no value moves), with `kw` = K[t] + W[t]. `bc` holds b ^ c on entry and, for the
    /// next round, a ^ b: Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)) reuses it.
    /// The sums put the terms that wait for `e` last (h + kw first), off the round's chain.
    macro_rules! round {
        ($a:ident, $b:ident, $c:ident, $d:ident, $e:ident, $f:ident, $g:ident, $h:ident, $bc:ident, $kw:expr) => {{
            let s1 = v128_xor(
                v128_xor(rotr::<6, 26>($e), rotr::<11, 21>($e)),
                rotr::<25, 7>($e),
            );
            let ch = v128_xor(v128_and(v128_xor($f, $g), $e), $g);
            let t1 = add(add(add($h, $kw), ch), s1);
            let s0 = v128_xor(
                v128_xor(rotr::<2, 30>($a), rotr::<13, 19>($a)),
                rotr::<22, 10>($a),
            );
            let ab = v128_xor($a, $b);
            let maj = v128_xor(v128_and(ab, $bc), $b);
            $bc = ab;
            $d = add($d, t1);
            $h = add(add(t1, s0), maj);
        }};
    }

    /// Sixteen rounds, `$kw!(i)` giving K + W for the `i`-th: the eight names come back to where
    /// they started, and every message-word index is a constant, so the words stay in locals.
    macro_rules! sixteen_rounds {
        ($s:ident, $bc:ident, $kw:ident) => {{
            let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = $s;
            round!(a, b, c, d, e, f, g, h, $bc, $kw!(0));
            round!(h, a, b, c, d, e, f, g, $bc, $kw!(1));
            round!(g, h, a, b, c, d, e, f, $bc, $kw!(2));
            round!(f, g, h, a, b, c, d, e, $bc, $kw!(3));
            round!(e, f, g, h, a, b, c, d, $bc, $kw!(4));
            round!(d, e, f, g, h, a, b, c, $bc, $kw!(5));
            round!(c, d, e, f, g, h, a, b, $bc, $kw!(6));
            round!(b, c, d, e, f, g, h, a, $bc, $kw!(7));
            round!(a, b, c, d, e, f, g, h, $bc, $kw!(8));
            round!(h, a, b, c, d, e, f, g, $bc, $kw!(9));
            round!(g, h, a, b, c, d, e, f, $bc, $kw!(10));
            round!(f, g, h, a, b, c, d, e, $bc, $kw!(11));
            round!(e, f, g, h, a, b, c, d, $bc, $kw!(12));
            round!(d, e, f, g, h, a, b, c, $bc, $kw!(13));
            round!(c, d, e, f, g, h, a, b, $bc, $kw!(14));
            round!(b, c, d, e, f, g, h, a, $bc, $kw!(15));
            $s = [a, b, c, d, e, f, g, h];
        }};
    }

    /// Compresses one block per lane (`w`: the 16 message words, lane `j` from lane `j`'s block)
    /// into `state`: 16 rounds on the message words, then three times 16 that extend the
    /// schedule in a ring of 16 (word `t` replaces word `t - 16`).
    #[inline(never)]
    fn compress(state: &mut [v128; 8], mut w: [v128; 16]) {
        let mut s = *state;
        let mut bc = v128_xor(s[1], s[2]);
        macro_rules! first {
            ($i:expr) => {
                add(u32x4_splat(K[$i]), w[$i])
            };
        }
        sixteen_rounds!(s, bc, first);
        for k in K.chunks_exact(16).skip(1) {
            macro_rules! extended {
                ($i:expr) => {{
                    w[$i] = add(
                        add(small_sigma1(w[($i + 14) % 16]), w[($i + 9) % 16]),
                        add(small_sigma0(w[($i + 1) % 16]), w[$i]),
                    );
                    add(u32x4_splat(k.get($i).copied().unwrap_or(0)), w[$i])
                }};
            }
            sixteen_rounds!(s, bc, extended);
        }
        for (out, v) in state.iter_mut().zip(s) {
            *out = u32x4_add(*out, v);
        }
    }

    /// Lane `lane`'s word of `v`.
    #[inline(always)]
    fn lane_of(v: v128, lane: usize) -> u32 {
        match lane {
            0 => u32x4_extract_lane::<0>(v),
            1 => u32x4_extract_lane::<1>(v),
            2 => u32x4_extract_lane::<2>(v),
            _ => u32x4_extract_lane::<3>(v),
        }
    }

    pub(super) fn sha256_many(messages: &[&[u8]], digests: &mut [[u8; 32]]) {
        let count = messages.len().min(digests.len());
        let mut queue = messages.iter().take(count).enumerate();
        let mut lanes: [Option<Lane<'_>>; LANES] = [None; LANES];
        let mut state = [u32x4_splat(0); 8];
        let mut pads = [[0u8; 64]; LANES];
        let masks = [
            u32x4(!0, 0, 0, 0),
            u32x4(0, !0, 0, 0),
            u32x4(0, 0, !0, 0),
            u32x4(0, 0, 0, !0),
        ];
        loop {
            // Refill empty lanes and reset their state to the initial hash value.
            for (lane, mask) in lanes.iter_mut().zip(masks) {
                if lane.is_none() {
                    if let Some((slot, message)) = queue.next() {
                        *lane = Some(Lane {
                            slot,
                            message,
                            block: 0,
                            blocks: (message.len() + 9).div_ceil(64),
                        });
                        for (s, iv) in state.iter_mut().zip(IV) {
                            *s = v128_bitselect(u32x4_splat(iv), *s, mask);
                        }
                    }
                }
            }
            if lanes.iter().all(Option::is_none) {
                return;
            }
            // Each lane's block: in place in its message, or its padding block (an idle lane
            // hashes whatever its pad holds, and the result is dropped).
            let mut in_place: [Option<&[u8; 64]>; LANES] = [None; LANES];
            for ((lane, place), pad) in lanes.iter().zip(&mut in_place).zip(&mut pads) {
                if let Some(lane) = lane {
                    *place = lane.whole_block();
                    if place.is_none() {
                        lane.pad_block(pad);
                    }
                }
            }
            let mut blocks: [&[u8; 64]; LANES] = [&[0; 64]; LANES];
            for ((block, place), pad) in blocks.iter_mut().zip(in_place).zip(&pads) {
                *block = place.unwrap_or(pad);
            }
            // Word i of the four lanes' blocks in one vector, read little-endian (one load each)
            // and byte-swapped four at a time.
            let [b0, b1, b2, b3] = blocks.map(|block| block.chunks_exact(4));
            let word = |bytes: &[u8]| <[u8; 4]>::try_from(bytes).map_or(0, u32::from_le_bytes);
            let mut w = [u32x4_splat(0); 16];
            for ((((v, x0), x1), x2), x3) in w.iter_mut().zip(b0).zip(b1).zip(b2).zip(b3) {
                let words = u32x4(word(x0), word(x1), word(x2), word(x3));
                *v = i8x16_shuffle::<3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12>(
                    words, words,
                );
            }
            compress(&mut state, w);
            // Lanes whose last block this was hand out their digest.
            for (index, lane) in lanes.iter_mut().enumerate() {
                let Some(l) = lane else { continue };
                l.block += 1;
                if l.block < l.blocks {
                    continue;
                }
                if let Some(digest) = digests.get_mut(l.slot) {
                    for (out, s) in digest.chunks_exact_mut(4).zip(state) {
                        out.copy_from_slice(&lane_of(s, index).to_be_bytes());
                    }
                }
                *lane = None;
            }
        }
    }
}
