//! The tape: DRISL events as u32 ops and texts in wasm memory, built into JS values by values.js
//! in one call (the format is in the module docs above).
//!
//! The wasm is built with a low inlining threshold (`.cargo/config.toml`), so the writers here
//! that run once per value are `#[inline]`, and words go in with `extend_from_slice`: `extend`
//! from an array stays a call per value under that threshold.

use super::interner::{Interner, MAX_INTERNED_LEN};
use super::{instance, materialize, take_failure};
use crate::bindings::SCRATCH_KEEP;
use crate::cbor::{Event, Events, Limits};
use crate::cid::{Cid, CID_STRING_LEN};
use crate::support::memory;
use crate::Error;
use std::cell::Cell;
use wasm_bindgen::prelude::*;

/// Builds the JS values of the finished tape: `count` of them, or one when `count` is None.
/// Errs with the JS exception if JS code run while building (a setter on `Object.prototype`) threw.
pub(super) fn build(tape: &Tape, input: &[u8], count: Option<usize>) -> Result<JsValue, JsValue> {
    let count = count.map_or(-1, |n| i32::try_from(n).unwrap_or(i32::MAX));
    let value = materialize(
        instance(),
        tape.ops.as_ptr() as usize,
        tape.ascii.as_ptr() as usize,
        tape.ascii.len(),
        tape.wide.as_ptr() as usize,
        tape.wide.len(),
        input.as_ptr() as usize,
        count,
    );
    if value.is_undefined() {
        return Err(take_failure());
    }
    Ok(value)
}

/// Tape op codes; `values.js` has the same numbers.
#[derive(Clone, Copy)]
#[repr(u32)]
enum Op {
    Null = 0,
    True = 1,
    False = 2,
    Int32 = 3,
    Int53 = 4,
    Int64 = 5,
    String = 6,
    Interned = 7,
    Intern = 8,
    Bytes = 9,
    Link = 10,
    Array = 11,
    Map = 12,
    WideString = 13,
    InternWide = 14,
}

/// The tape of one value under construction.
#[derive(Default)]
pub(super) struct Tape {
    ops: Vec<u32>,
    /// The new ASCII strings (offsets in bytes are offsets in UTF-16 units).
    ascii: String,
    /// The new non-ASCII strings, and their length in UTF-16 units.
    wide: String,
    wide_units: u32,
}

impl Tape {
    pub(super) fn shrink(&mut self, keep: usize) {
        if self.ascii.capacity() > keep || self.wide.capacity() > keep || self.ops.capacity() > keep
        {
            *self = Tape::default();
        }
    }

    /// Reserves about what the values of `input_len` bytes of records need (a 10,000-record repo:
    /// 0.6 bytes of ops and 0.7 bytes of ASCII text per input byte), sparing the copies of growth.
    pub(super) fn reserve_for(&mut self, input_len: usize) -> Result<(), Error> {
        memory::reserve(&mut self.ops, input_len / 6)?;
        memory::reserve_text(&mut self.ascii, input_len - input_len / 4)
    }

    fn clear(&mut self) {
        self.ops.clear();
        self.ascii.clear();
        self.wide.clear();
        self.wide_units = 0;
    }

    /// Appends `s` to its text; whether that is the wide one, and `s`'s (start, end) in it.
    #[inline]
    fn push_text(&mut self, s: &str) -> Result<(bool, u32, u32), Error> {
        if s.is_ascii() {
            memory::reserve_text(&mut self.ascii, s.len())?;
            let start = self.ascii.len() as u32;
            self.ascii.push_str(s);
            return Ok((false, start, self.ascii.len() as u32));
        }
        memory::reserve_text(&mut self.wide, s.len())?;
        let start = self.wide_units;
        self.wide.push_str(s);
        // One unit per UTF-8 lead byte, two for 4-byte sequences (surrogate pairs).
        let units: usize = s
            .bytes()
            .map(|b| usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0))
            .sum();
        self.wide_units = start.saturating_add(units as u32);
        Ok((true, start, self.wide_units))
    }

    #[inline]
    fn string(
        &mut self,
        s: &str,
        intern: bool,
        interner: &mut Option<Interner>,
    ) -> Result<(), Error> {
        if let (true, Some(interner)) = (intern && s.len() <= MAX_INTERNED_LEN, interner.as_mut()) {
            match interner.intern(s) {
                Some((id, false)) => {
                    self.ops.extend_from_slice(&[Op::Interned as u32, id]);
                    return Ok(());
                }
                Some((id, true)) => {
                    let (wide, start, end) = self.push_text(s)?;
                    let op = if wide { Op::InternWide } else { Op::Intern };
                    self.ops.extend_from_slice(&[op as u32, id, start, end]);
                    return Ok(());
                }
                None => {}
            }
        }
        let (wide, start, end) = self.push_text(s)?;
        let op = if wide { Op::WideString } else { Op::String };
        self.ops.extend_from_slice(&[op as u32, start, end]);
        Ok(())
    }

    /// A link: its CID string goes into the ASCII text (base32 is ASCII).
    #[inline]
    fn link(&mut self, cid: &Cid) -> Result<(), Error> {
        use std::fmt::Write;
        memory::reserve_text(&mut self.ascii, CID_STRING_LEN)?;
        let start = self.ascii.len() as u32;
        // Writing into a String cannot fail.
        let _ = write!(self.ascii, "{cid}");
        self.ops
            .extend_from_slice(&[Op::Link as u32, start, self.ascii.len() as u32]);
        Ok(())
    }

    #[inline]
    fn integer(&mut self, n: i64) {
        const MAX_SAFE: i64 = (1 << 53) - 1;
        if let Ok(small) = i32::try_from(n) {
            self.ops
                .extend_from_slice(&[Op::Int32 as u32, small as u32]);
        } else {
            let op = if (-MAX_SAFE..=MAX_SAFE).contains(&n) {
                Op::Int53
            } else {
                Op::Int64
            };
            self.ops
                .extend_from_slice(&[op as u32, n as u32, (n >> 32) as u32]);
        }
    }
}

/// Decodes `input` (already checked to be within `limits.max_size`) into the tape.
/// Byte-string offsets are taken from `base`, the address where the whole input buffer starts.
pub(super) fn write_tape(
    input: &[u8],
    base: usize,
    limits: Limits,
    tape: &mut Tape,
    interner: &mut Option<Interner>,
) -> Result<(), Error> {
    let mut events = Events::with_limits(input, limits)?;
    let mut after_type_key = false;
    while let Some(event) = events.next_event()? {
        // Room for the longest op of one event (`Intern`: four words).
        memory::reserve(&mut tape.ops, 4)?;
        let is_type_value = std::mem::take(&mut after_type_key);
        match event {
            Event::Null => tape.ops.push(Op::Null as u32),
            Event::Bool(true) => tape.ops.push(Op::True as u32),
            Event::Bool(false) => tape.ops.push(Op::False as u32),
            Event::Integer(n) => tape.integer(n),
            // Short strings that repeat across records: `$type` values and two-letter codes.
            Event::String(s) => tape.string(s, is_type_value || s.len() <= 3, interner)?,
            Event::Key(k) => {
                after_type_key = k == "$type";
                tape.string(k, true, interner)?;
            }
            Event::Bytes(b) => {
                let offset = (b.as_ptr() as usize).saturating_sub(base);
                tape.ops
                    .extend_from_slice(&[Op::Bytes as u32, offset as u32, b.len() as u32]);
            }
            Event::Link(cid) => tape.link(&cid)?,
            Event::ArrayStart(n) => tape.ops.extend_from_slice(&[Op::Array as u32, n as u32]),
            Event::MapStart(n) => tape.ops.extend_from_slice(&[Op::Map as u32, n as u32]),
            Event::End => {}
        }
    }
    Ok(())
}

thread_local! {
    /// The tape reused across calls, taken out for a call and put back after it. Made at compile
    /// time (`const`), with no lazy initialization to check and run at each use.
    static TAPE: Cell<Tape> = const {
        Cell::new(Tape {
            ops: Vec::new(),
            ascii: String::new(),
            wide: String::new(),
            wide_units: 0,
        })
    };
    /// The intern table, made by the first call that uses it (`const`, as the tape: no lazy
    /// initialization to check at each use).
    static INTERNER: Cell<Option<Interner>> = const { Cell::new(None) };
    /// Whether no call uses the intern table. A call made meanwhile (from JS code run by
    /// `materialize`, such as a setter on `Object.prototype`) interns nothing, so it cannot
    /// renumber strings under the outer call's feet.
    static INTERNER_FREE: Cell<bool> = const { Cell::new(true) };
}

/// Runs `f` with the reusable tape (cleared) and the intern table, and puts both back; if `f`
/// fails, the table as it was before (see [`Interner`]).
pub(super) fn with_tape<T, E>(
    f: impl FnOnce(&mut Tape, &mut Option<Interner>) -> Result<T, E>,
) -> Result<T, E> {
    let mut tape = TAPE.take();
    tape.clear();
    let mut interner = INTERNER_FREE
        .replace(false)
        .then(|| INTERNER.take().unwrap_or_default());
    let mark = interner.as_ref().map(Interner::mark);
    let result = f(&mut tape, &mut interner);
    if let Some(mut interner) = interner {
        if let (Err(_), Some(mark)) = (&result, mark) {
            interner.roll_back(mark);
        }
        INTERNER.set(Some(interner));
        INTERNER_FREE.set(true);
    }
    tape.shrink(SCRATCH_KEEP);
    TAPE.set(tape);
    result
}

/// Decodes one DRISL value in `input` into a JS value.
pub(in crate::bindings) fn decode_to_js(input: &[u8], limits: Limits) -> Result<JsValue, JsValue> {
    with_tape(|tape, interner| {
        write_tape(input, input.as_ptr() as usize, limits, tape, interner)?;
        build(tape, input, None)
    })
}
