//! Appending short byte strings (keys, paths) eight bytes at a time.
//!
//! In wasm a copy of a length known only at run time is `memory.copy`, which V8 compiles to a
//! call out of the generated code into the runtime. For the 20–40 byte keys and paths that a
//! repository walk copies several times per record, the call costs more than the copy; a loop of
//! 8-byte loads and stores (each one instruction) does not leave the compiled code.

use std::ops::Range;

/// Longer copies go to `extend_from_slice`, whose call is then worth it.
const SHORT: usize = 64;

/// `out.extend_from_slice(bytes)`.
#[inline]
pub(crate) fn extend(out: &mut Vec<u8>, bytes: &[u8]) {
    if bytes.len() > SHORT {
        out.extend_from_slice(bytes);
        return;
    }
    out.reserve(bytes.len());
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        if let Some(word) = word.first_chunk::<8>() {
            out.extend_from_slice(word);
        }
    }
    for &byte in words.remainder() {
        out.push(byte);
    }
}

/// `out.extend_from_within(range)`, doing nothing for a range outside `out`.
#[inline]
pub(crate) fn extend_within(out: &mut Vec<u8>, range: Range<usize>) {
    if range.len() > SHORT || out.get(range.clone()).is_none() {
        if out.get(range.clone()).is_some() {
            out.extend_from_within(range);
        }
        return;
    }
    out.reserve(range.len());
    let mut at = range.start;
    while at + 8 <= range.end {
        if let Some(word) = out.get(at..).and_then(|b| b.first_chunk::<8>()).copied() {
            out.extend_from_slice(&word);
        }
        at += 8;
    }
    while at < range.end {
        if let Some(&byte) = out.get(at) {
            out.push(byte);
        }
        at += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_like_the_std_methods() {
        let source: Vec<u8> = (0..200u8).collect();
        for len in 0..=100 {
            let mut ours = vec![9u8; 3];
            let mut std = ours.clone();
            extend(&mut ours, &source[..len]);
            std.extend_from_slice(&source[..len]);
            assert_eq!(ours, std);
            for start in [0, 1, 5].into_iter().filter(|&s| s <= ours.len()) {
                let range = start..(start + len).min(ours.len());
                let mut std_within = ours.clone();
                std_within.extend_from_within(range.clone());
                let mut ours_within = ours.clone();
                extend_within(&mut ours_within, range);
                assert_eq!(ours_within, std_within);
            }
        }
        let mut out = vec![1u8, 2];
        extend_within(&mut out, 1..5);
        assert_eq!(out, [1, 2]);
    }
}
