//! The data-model value tree, and its construction from [`Events`].

use std::borrow::Cow;

use super::events::{Event, Events};
use super::Limits;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// An atproto data-model value.
///
/// Decoded values borrow their strings, byte strings and keys from the input (`Cow::Borrowed`);
/// values built by code may own them. A decoded map lists its entries in canonical key order; a
/// built map may list them in any order ([`encode`](super::encode) sorts and rejects duplicates).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A UTF-8 string.
    String(Cow<'a, str>),
    /// A byte string.
    Bytes(Cow<'a, [u8]>),
    /// A CID link.
    Link(Cid),
    /// An array.
    Array(Vec<Value<'a>>),
    /// A map with string keys.
    Map(Vec<(Cow<'a, str>, Value<'a>)>),
}

impl<'a> Value<'a> {
    /// The value of `key` if this is a map that has it.
    // Out of line: a search loop, inlined at each lookup of a fixed name (size:
    // docs/performance.md, "wasm size").
    #[inline(never)]
    pub fn get(&self, key: &str) -> Option<&Value<'a>> {
        match self {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer, if this is one.
    pub fn as_integer(&self) -> Option<i64> {
        match self {
            Value::Integer(n) => Some(*n),
            _ => None,
        }
    }

    /// The CID, if this is a link.
    pub fn as_link(&self) -> Option<Cid> {
        match self {
            Value::Link(cid) => Some(*cid),
            _ => None,
        }
    }

    /// The same value owning all its strings and bytes.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Integer(n) => Value::Integer(n),
            Value::String(s) => Value::String(Cow::Owned(s.into_owned())),
            Value::Bytes(b) => Value::Bytes(Cow::Owned(b.into_owned())),
            Value::Link(cid) => Value::Link(cid),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), v.into_owned()))
                    .collect(),
            ),
        }
    }
}

/// A container being filled while its events arrive.
enum Partial<'a> {
    Array(Vec<Value<'a>>),
    Map(Vec<(Cow<'a, str>, Value<'a>)>, Option<&'a str>),
}

/// Decodes one DRISL value from `input` under `limits` into a tree, without recursion.
pub(super) fn decode_value<'a>(input: &'a [u8], limits: Limits) -> Result<Value<'a>> {
    let mut events = Events::with_limits(input, limits)?;
    let mut stack: Vec<Partial<'a>> = Vec::new();
    let mut root = None;
    while let Some(event) = events.next_event()? {
        let value = match event {
            Event::Null => Value::Null,
            Event::Bool(b) => Value::Bool(b),
            Event::Integer(n) => Value::Integer(n),
            Event::String(s) => Value::String(Cow::Borrowed(s)),
            Event::Bytes(b) => Value::Bytes(Cow::Borrowed(b)),
            Event::Link(cid) => Value::Link(cid),
            // Lengths were checked against the remaining input (every item takes a byte), so
            // these allocations are bounded by the input size.
            Event::ArrayStart(len) => {
                stack.push(Partial::Array(Vec::with_capacity(len)));
                continue;
            }
            Event::MapStart(len) => {
                stack.push(Partial::Map(Vec::with_capacity(len), None));
                continue;
            }
            Event::Key(key) => {
                if let Some(Partial::Map(_, pending)) = stack.last_mut() {
                    *pending = Some(key);
                }
                continue;
            }
            Event::End => match stack.pop() {
                Some(Partial::Array(items)) => Value::Array(items),
                Some(Partial::Map(entries, _)) => Value::Map(entries),
                None => return Err(walker_bug()),
            },
        };
        match stack.last_mut() {
            None => root = Some(value),
            Some(Partial::Array(items)) => items.push(value),
            Some(Partial::Map(entries, pending)) => {
                let key = pending.take().ok_or_else(walker_bug)?;
                entries.push((Cow::Borrowed(key), value));
            }
        }
    }
    root.ok_or_else(walker_bug)
}

/// The walker emits well-nested events; a broken sequence is a bug here, reported, not panicked.
fn walker_bug() -> Error {
    Error::new(
        Code::InvalidCbor,
        "internal error: unbalanced decoder events",
    )
}
