//! Fallible reservation, for every buffer whose size comes from outside data.
//!
//! A failed allocation cannot be caught: Rust aborts the process on it, and in wasm that traps the
//! instance, which the host then cannot use again. WebAssembly memory ends at 4 GiB (less where a
//! browser gives less), so an input whose processing needs more must be refused while refusing is
//! still possible. Buffers that grow with the input therefore reserve through [`reserve`], which
//! asks the allocator first and turns a refusal into a `limit-exceeded` error; the call then
//! unwinds normally, freeing what it had, and the next call finds the module as it was.
//!
//! Allocations bounded by a fixed limit (one block, one MST node, one frame) need no such care.

use crate::{Code, Error, Result};

/// Makes room for `additional` more items in `vec`, or fails with `limit-exceeded` if the
/// allocator cannot give it. Grows as `Vec::reserve` does (at least doubling), so calling it
/// before every push costs one comparison.
#[inline]
pub(crate) fn reserve<T>(vec: &mut Vec<T>, additional: usize) -> Result<()> {
    if vec.capacity() - vec.len() >= additional {
        return Ok(());
    }
    grow(vec, additional)
}

/// [`reserve`]'s growth, out of line: one copy per item type instead of one at every call (size:
/// docs/performance.md, "wasm size"); growth is rare, as it at least doubles.
#[cold]
#[inline(never)]
fn grow<T>(vec: &mut Vec<T>, additional: usize) -> Result<()> {
    vec.try_reserve(additional)
        .map_err(|_| out_of_memory(additional.saturating_mul(size_of::<T>())))
}

/// [`reserve`] for a `String`.
#[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))] // the bindings' text buffers
#[inline]
pub(crate) fn reserve_text(text: &mut String, additional: usize) -> Result<()> {
    if text.capacity() - text.len() >= additional {
        return Ok(());
    }
    grow_text(text, additional)
}

/// [`reserve_text`]'s growth, out of line as [`grow`].
#[cfg_attr(not(all(target_arch = "wasm32", feature = "js")), allow(dead_code))]
#[cold]
#[inline(never)]
fn grow_text(text: &mut String, additional: usize) -> Result<()> {
    text.try_reserve(additional)
        .map_err(|_| out_of_memory(additional))
}

/// A `Vec` with room for exactly `capacity` items, or `limit-exceeded`.
pub(crate) fn vec_with_capacity<T>(capacity: usize) -> Result<Vec<T>> {
    let mut vec = Vec::new();
    vec.try_reserve_exact(capacity)
        .map_err(|_| out_of_memory(capacity.saturating_mul(size_of::<T>())))?;
    Ok(vec)
}

/// The error of an allocation the allocator refused.
// Cold and out of line, as `Error::new`: LLVM inlined this error's formatting at each of its
// callers (size: docs/performance.md, "wasm size").
#[cold]
#[inline(never)]
pub(crate) fn out_of_memory(bytes: usize) -> Error {
    Error::new(
        Code::LimitExceeded,
        format!(
            "out of memory: {bytes} more bytes could not be allocated (WebAssembly memory ends at \
             4 GiB; give large inputs to the streaming functions)"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_reservation_is_an_error_and_the_buffer_is_unchanged() {
        let mut vec = vec![1u64, 2, 3];
        let error = reserve(&mut vec, usize::MAX / 4).unwrap_err();
        assert_eq!(error.code(), Code::LimitExceeded);
        assert!(error.message().contains("out of memory"));
        assert_eq!(vec, [1, 2, 3]);
        assert!(vec_with_capacity::<u64>(usize::MAX / 4).is_err());
        let mut text = String::from("a");
        assert!(reserve_text(&mut text, usize::MAX / 2).is_err());
        reserve(&mut vec, 100).unwrap();
        assert!(vec.capacity() >= 103);
    }
}
