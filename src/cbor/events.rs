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
/// [`Events::position`] minus their length right after the event), so a binding can describe a
/// whole value as one flat buffer of events and offsets.
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
    /// Items (arrays) or entries (maps) not yet read.
    remaining: usize,
    /// For maps: the last key read (`None` before the first), and whether a key comes next.
    map: Option<MapState<'a>>,
}

#[derive(Clone, Copy, Debug)]
struct MapState<'a> {
    previous_key: Option<&'a str>,
    key_next: bool,
}

/// Walks one value through a [`Decoder`], event by event.
#[derive(Debug)]
pub(crate) struct Walker<'a> {
    stack: Vec<Frame<'a>>,
    started: bool,
}

impl<'a> Walker<'a> {
    pub(crate) fn new() -> Self {
        Walker {
            stack: Vec::new(),
            started: false,
        }
    }

    /// The next event of the value, or `None` once the value is complete.
    #[inline]
    pub(crate) fn next(&mut self, decoder: &mut Decoder<'a>) -> Result<Option<Event<'a>>> {
        let Some(frame) = self.stack.last_mut() else {
            if self.started {
                return Ok(None);
            }
            self.started = true;
            return self.open(decoder).map(Some);
        };
        if frame.remaining == 0 {
            self.stack.pop();
            return Ok(Some(Event::End));
        }
        if let Some(map) = &mut frame.map {
            if map.key_next {
                let key = decoder.read_key(map.previous_key)?;
                map.previous_key = Some(key);
                map.key_next = false;
                return Ok(Some(Event::Key(key)));
            }
            map.key_next = true;
        }
        frame.remaining -= 1;
        self.open(decoder).map(Some)
    }

    /// Reads one item; a container header pushes a frame.
    #[inline]
    fn open(&mut self, decoder: &mut Decoder<'a>) -> Result<Event<'a>> {
        let start = decoder.position();
        let (remaining, map) = match decoder.read_token()? {
            Token::Null => return Ok(Event::Null),
            Token::Bool(b) => return Ok(Event::Bool(b)),
            Token::Integer(n) => return Ok(Event::Integer(n)),
            Token::String(s) => return Ok(Event::String(s)),
            Token::Bytes(b) => return Ok(Event::Bytes(b)),
            Token::Link(cid) => return Ok(Event::Link(cid)),
            Token::Array(len) => (len, None),
            Token::Map(len) => (
                len,
                Some(MapState {
                    previous_key: None,
                    key_next: true,
                }),
            ),
        };
        let max_depth = decoder.limits().depth_limit();
        if self.stack.len() >= max_depth {
            return Err(Error::new(
                Code::LimitExceeded,
                format!(
                    "container nested deeper than the limit of {max_depth} levels at byte {start}"
                ),
            ));
        }
        self.stack.push(Frame { remaining, map });
        Ok(if map.is_some() {
            Event::MapStart(remaining)
        } else {
            Event::ArrayStart(remaining)
        })
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
    pub fn with_limits(input: &'a [u8], limits: Limits) -> Result<Self> {
        Ok(Events {
            decoder: Decoder::with_limits(input, limits)?,
            walker: Walker::new(),
            finished: false,
        })
    }

    /// The next event; `None` after the top-level value, once the input is known to end there.
    #[inline]
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
