//! The event walker: a whole DRISL value as a flat sequence of events, without recursion.
//!
//! The walker adds the structural rules to the item rules of the [`Decoder`]: keys in key position,
//! the depth limit, and one top-level value. Its stack holds one small frame per open container
//! (at most the depth limit), so nesting never touches the call stack.

use super::decoder::{Decoder, Token};
use super::Limits;
use crate::cid::Cid;
use crate::error::{Code, Error, Result};

/// One step through a DRISL value, in input order.
///
/// Every `ArrayStart`/`MapStart` is matched by an `End`; inside a map, each entry is a `Key`
/// followed by one value. Strings and byte strings borrow from the input (their byte offset is
/// [`Events::position`] minus their length right after the event).
///
/// This is what the JavaScript binding needs to build JS values with one boundary crossing: it
/// drains the events into a "tape" of `u32` ops (containers as an op with their item count, so
/// `End` adds nothing; integers inline; strings and keys copied into an ASCII and a non-ASCII text
/// buffer, or named by their intern id; bytes as offset and length into the input; links as their
/// CID string in the ASCII text), and JS rebuilds the value from views of the tape and the texts.
/// The tape's format is documented in the `bindings::data_model` module. Every rule has been
/// checked by the time an event is emitted, so JS never sees a half-valid value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A signed 64-bit integer.
    Integer(i64),
    /// A text string value.
    String(&'a str),
    /// A byte string.
    Bytes(&'a [u8]),
    /// A CID link.
    Link(Cid),
    /// An array of that many items starts.
    ArrayStart(usize),
    /// A map of that many entries starts.
    MapStart(usize),
    /// A map key (already checked: string, length, canonical order).
    Key(&'a str),
    /// The innermost open array or map ends.
    End,
}

/// An open container.
#[derive(Clone, Copy, Debug)]
struct Frame<'a> {
    /// Items not yet read; a map counts its keys and values, so a key comes next when this is even.
    remaining: usize,
    is_map: bool,
    /// For maps: the last key read (`None` before the first).
    previous_key: Option<&'a str>,
}

impl Frame<'_> {
    const EMPTY: Frame<'static> = Frame {
        remaining: 0,
        is_map: false,
        previous_key: None,
    };
}

/// Frames kept inline: records rarely nest deeper than 6, so ordinary inputs never allocate for
/// the stack, and a walker starts with 128 bytes to clear, not the 512 of the whole default depth
/// limit (32), which showed in a repository's verification (one walker per record).
const INLINE_FRAMES: usize = 8;

/// The stack of open containers: inline up to [`INLINE_FRAMES`], then on the heap (only when a
/// caller raised the depth limit and the input uses it).
#[derive(Debug)]
struct Stack<'a> {
    inline: [Frame<'a>; INLINE_FRAMES],
    spilled: Vec<Frame<'a>>,
    depth: usize,
}

impl<'a> Stack<'a> {
    #[inline]
    fn top(&mut self) -> Option<&mut Frame<'a>> {
        match self.depth {
            0 => None,
            depth if depth <= INLINE_FRAMES => self.inline.get_mut(depth - 1),
            _ => self.spilled.last_mut(),
        }
    }

    #[inline]
    fn push(&mut self, frame: Frame<'a>) {
        match self.inline.get_mut(self.depth) {
            Some(slot) => *slot = frame,
            None => self.spilled.push(frame),
        }
        self.depth += 1;
    }

    #[inline]
    fn pop(&mut self) {
        if self.depth > INLINE_FRAMES {
            self.spilled.pop();
        }
        self.depth = self.depth.saturating_sub(1);
    }
}

/// Walks one value through a [`Decoder`], event by event.
#[derive(Debug)]
pub(crate) struct Walker<'a> {
    stack: Stack<'a>,
    started: bool,
}

impl<'a> Walker<'a> {
    pub(crate) fn new() -> Self {
        Walker {
            stack: Stack {
                inline: [Frame::EMPTY; INLINE_FRAMES],
                spilled: Vec::new(),
                depth: 0,
            },
            started: false,
        }
    }

    /// The next event of the value, or `None` once the value is complete.
    // Always inlined: each consumer (validation, the tree, skipping) then gets its own tight loop
    // in which the events it ignores are never built.
    #[inline(always)]
    // The top-level value and the items inside containers reach the one `open` below: with a
    // call of its own each, the inlined item reader (about 4 KB of wasm) was in every consumer
    // twice.
    pub(crate) fn next(&mut self, decoder: &mut Decoder<'a>) -> Result<Option<Event<'a>>> {
        match self.stack.top() {
            None if self.started => return Ok(None),
            None => self.started = true,
            Some(frame) => {
                if frame.remaining == 0 {
                    self.stack.pop();
                    return Ok(Some(Event::End));
                }
                frame.remaining -= 1;
                if frame.is_map && frame.remaining % 2 == 1 {
                    let key = decoder.read_key(frame.previous_key)?;
                    frame.previous_key = Some(key);
                    return Ok(Some(Event::Key(key)));
                }
            }
        }
        self.open(decoder).map(Some)
    }

    /// Reads one item; a container header pushes a frame.
    #[inline(always)]
    fn open(&mut self, decoder: &mut Decoder<'a>) -> Result<Event<'a>> {
        let start = decoder.position();
        let (event, frame) = match decoder.read_token()? {
            Token::Null => return Ok(Event::Null),
            Token::Bool(b) => return Ok(Event::Bool(b)),
            Token::Integer(n) => return Ok(Event::Integer(n)),
            Token::String(s) => return Ok(Event::String(s)),
            Token::Bytes(b) => return Ok(Event::Bytes(b)),
            Token::Link(cid) => return Ok(Event::Link(cid)),
            Token::Array(len) => (
                Event::ArrayStart(len),
                Frame {
                    remaining: len,
                    is_map: false,
                    previous_key: None,
                },
            ),
            // The decoder checked that 2 * len items fit in the input left: no overflow.
            Token::Map(len) => (
                Event::MapStart(len),
                Frame {
                    remaining: len.saturating_mul(2),
                    is_map: true,
                    previous_key: None,
                },
            ),
        };
        let max_depth = decoder.limits().depth_limit();
        if self.stack.depth >= max_depth {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "container nested deeper than the limit of {max_depth} levels at byte {start}"
                ),
            ));
        }
        self.stack.push(frame);
        Ok(event)
    }
}

/// Skipping values runs the walker, so it is defined here, beside it: the decoder knows nothing of
/// the walker.
impl<'a> Decoder<'a> {
    /// Checks and skips one whole value (a container with everything in it), enforcing every rule
    /// and the depth limit counted from here; returns the bytes it spans.
    pub fn skip_value(&mut self) -> Result<&'a [u8]> {
        let start = self.position();
        let mut walker = Walker::new();
        while walker.next(self)?.is_some() {}
        Ok(self.input().get(start..self.position()).unwrap_or_default())
    }
}

/// The events of one whole DRISL input: one top-level value, then the end of the input.
///
/// ```
/// use atproof::cbor::{Event, Events};
/// let mut events = Events::new(&[0xa1, 0x61, b'a', 0x01])?; // {"a": 1}
/// assert_eq!(events.next_event()?, Some(Event::MapStart(1)));
/// assert_eq!(events.next_event()?, Some(Event::Key("a")));
/// assert_eq!(events.next_event()?, Some(Event::Integer(1)));
/// assert_eq!(events.next_event()?, Some(Event::End));
/// assert_eq!(events.next_event()?, None);
/// # Ok::<(), atproof::Error>(())
/// ```
#[derive(Debug)]
pub struct Events<'a> {
    decoder: Decoder<'a>,
    walker: Walker<'a>,
    finished: bool,
}

impl<'a> Events<'a> {
    /// Events of `input` under [`Limits::DEFAULT`].
    pub fn new(input: &'a [u8]) -> Result<Self> {
        Events::with_limits(input, Limits::DEFAULT)
    }

    /// Events of `input` under the given limits.
    #[inline]
    pub fn with_limits(input: &'a [u8], limits: Limits) -> Result<Self> {
        Ok(Events {
            decoder: Decoder::with_limits(input, limits)?,
            walker: Walker::new(),
            finished: false,
        })
    }

    /// The next event; `None` after the top-level value, once the input is known to end there.
    #[inline(always)]
    pub fn next_event(&mut self) -> Result<Option<Event<'a>>> {
        match self.walker.next(&mut self.decoder)? {
            Some(event) => Ok(Some(event)),
            None => {
                if !self.finished {
                    self.decoder.finish()?;
                    self.finished = true;
                }
                Ok(None)
            }
        }
    }

    /// The byte offset just after the last event read.
    pub fn position(&self) -> usize {
        self.decoder.position()
    }
}
