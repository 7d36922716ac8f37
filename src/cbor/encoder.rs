//! The canonical writer: shortest-form heads, CID links, and whole values with sorted keys.

use std::borrow::Cow;
use std::cmp::Ordering;

use super::value::Value;
use super::{canonical_key_order, Limits};
use crate::cid::Cid;
use crate::error::{Code, Error, Result};
use crate::syntax::quote;

/// A low-level DRISL writer for fixed shapes (MST nodes, commits, frames).
///
/// Every head is written in its shortest form. The writer does not track structure: the caller
/// writes as many items as each header announces, and map keys in canonical order (shorter first,
/// then bytewise). For arbitrary maps use [`encode`](super::encode), which sorts and checks.
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    out: Vec<u8>,
}

// The `write_*` methods are `#[inline]`: the wasm's low inlining threshold (`.cargo/config.toml`)
// would otherwise leave each a call per value written.
impl Encoder {
    /// An empty writer.
    pub fn new() -> Self {
        Encoder::default()
    }

    /// An empty writer with room for about `bytes` bytes, for a caller that knows roughly how much
    /// it writes (the writer grows past it as needed).
    pub fn with_capacity(bytes: usize) -> Self {
        Encoder {
            out: Vec::with_capacity(bytes),
        }
    }

    /// The bytes written so far.
    pub fn as_bytes(&self) -> &[u8] {
        &self.out
    }

    /// The bytes written.
    pub fn into_bytes(self) -> Vec<u8> {
        self.out
    }

    #[inline]
    fn write_head(&mut self, major: u8, argument: u64) {
        let major = major << 5;
        // Each arm's value fits the width it is cast to, which is what makes the form shortest.
        match argument {
            0..=23 => self.out.push(major | argument as u8),
            24..=0xff => self.out.extend_from_slice(&[major | 24, argument as u8]),
            0x100..=0xffff => {
                self.out.push(major | 25);
                self.out.extend_from_slice(&(argument as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                self.out.push(major | 26);
                self.out.extend_from_slice(&(argument as u32).to_be_bytes());
            }
            _ => {
                self.out.push(major | 27);
                self.out.extend_from_slice(&argument.to_be_bytes());
            }
        }
    }

    /// Writes `null`.
    #[inline]
    pub fn write_null(&mut self) {
        self.out.push(0xf6);
    }

    /// Writes `true` or `false`.
    #[inline]
    pub fn write_bool(&mut self, value: bool) {
        self.out.push(if value { 0xf5 } else { 0xf4 });
    }

    /// Writes an integer.
    #[inline]
    pub fn write_int(&mut self, value: i64) {
        match u64::try_from(value) {
            Ok(n) => self.write_head(0, n),
            // -1 - n == !n for the negative range.
            Err(_) => self.write_head(1, !(value as u64)),
        }
    }

    /// Writes a text string.
    #[inline]
    pub fn write_str(&mut self, value: &str) {
        self.write_head(3, value.len() as u64);
        self.out.extend_from_slice(value.as_bytes());
    }

    /// Writes a map key the caller knows (a constant): a text string, out of line. The fixed-shape
    /// maps the writer emits (commits, frames, CAR headers) name their keys this way; inlined,
    /// each key was a length check and a copy of its own (size: docs/performance.md, "wasm size").
    #[inline(never)]
    pub fn write_key(&mut self, key: &str) {
        self.write_str(key);
    }

    /// Writes a byte string.
    #[inline]
    pub fn write_bytes(&mut self, value: &[u8]) {
        self.write_head(2, value.len() as u64);
        self.out.extend_from_slice(value);
    }

    /// Writes a CID link: tag 42, a 37-byte byte string, 0x00 and the binary CID.
    #[inline]
    pub fn write_link(&mut self, cid: &Cid) {
        self.out.extend_from_slice(&[0xd8, 42, 0x58, 37, 0x00]);
        cid.write_bytes(&mut self.out);
    }

    /// Writes an array header; `len` items must follow.
    #[inline]
    pub fn write_array_header(&mut self, len: usize) {
        self.write_head(4, len as u64);
    }

    /// Writes a map header; `len` key/value pairs must follow, keys in canonical order.
    #[inline]
    pub fn write_map_header(&mut self, len: usize) {
        self.write_head(5, len as u64);
    }

    /// Writes a whole value canonically (sorted keys), checking it against `limits`.
    #[inline]
    pub fn write_value(&mut self, value: &Value<'_>, limits: &Limits) -> Result<()> {
        self.write_nested(value, limits, 0)
    }

    /// Recursion is bounded by the depth limit, itself capped by `MAX_SUPPORTED_DEPTH`.
    fn write_nested(&mut self, value: &Value<'_>, limits: &Limits, depth: usize) -> Result<()> {
        match value {
            Value::Null => self.write_null(),
            Value::Bool(b) => self.write_bool(*b),
            Value::Integer(n) => self.write_int(*n),
            Value::String(s) => self.write_str(s),
            Value::Bytes(b) => self.write_bytes(b),
            Value::Link(cid) => self.write_link(cid),
            Value::Array(items) => {
                check_container(items.len(), depth, limits)?;
                self.write_array_header(items.len());
                for item in items {
                    self.write_nested(item, limits, depth + 1)?;
                }
            }
            Value::Map(entries) => {
                check_container(entries.len(), depth, limits)?;
                check_keys(entries, limits)?;
                self.write_map_header(entries.len());
                if is_canonically_sorted(entries.iter()) {
                    for (key, item) in entries {
                        self.write_str(key);
                        self.write_nested(item, limits, depth + 1)?;
                    }
                } else {
                    for (key, item) in sorted_entries(entries)? {
                        self.write_str(key);
                        self.write_nested(item, limits, depth + 1)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_container(len: usize, depth: usize, limits: &Limits) -> Result<()> {
    if depth >= limits.depth_limit() {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "value nested deeper than the limit of {} levels",
                limits.depth_limit()
            ),
        ));
    }
    if len > limits.max_container_len {
        return Err(Error::new(
            Code::LimitExceeded,
            format!(
                "container of {len} items exceeds the limit of {}",
                limits.max_container_len
            ),
        ));
    }
    Ok(())
}

type Entry<'v, 'a> = &'v (Cow<'a, str>, Value<'a>);

fn check_keys(entries: &[(Cow<'_, str>, Value<'_>)], limits: &Limits) -> Result<()> {
    match entries
        .iter()
        .find(|(key, _)| key.len() > limits.max_key_len)
    {
        Some((key, _)) => Err(Error::new(
            Code::LimitExceeded,
            format!(
                "map key of {} bytes exceeds the limit of {}",
                key.len(),
                limits.max_key_len
            ),
        )),
        None => Ok(()),
    }
}

/// Whether each key sorts strictly before the next (so there are no duplicates either).
fn is_canonically_sorted<'v, 'a: 'v>(entries: impl Iterator<Item = Entry<'v, 'a>> + Clone) -> bool {
    entries
        .clone()
        .zip(entries.skip(1))
        .all(|(a, b)| canonical_key_order(&a.0, &b.0) == Ordering::Less)
}

/// The entries of a map sorted into canonical key order; [`Code::CborDuplicateMapKey`] if a key
/// is given twice.
fn sorted_entries<'v, 'a>(entries: &'v [(Cow<'a, str>, Value<'a>)]) -> Result<Vec<Entry<'v, 'a>>> {
    let mut sorted: Vec<Entry<'v, 'a>> = entries.iter().collect();
    crate::support::sort::sort_by(&mut sorted, |a, b| canonical_key_order(&a.0, &b.0))?;
    if !is_canonically_sorted(sorted.iter().copied()) {
        let duplicate = sorted
            .iter()
            .zip(sorted.iter().skip(1))
            .find(|(a, b)| a.0 == b.0);
        let key = duplicate.map(|(a, _)| a.0.as_ref()).unwrap_or_default();
        return Err(Error::new(
            Code::CborDuplicateMapKey,
            format!("map key {} given twice", quote(key)),
        ));
    }
    Ok(sorted)
}
