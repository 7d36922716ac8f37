//! TIDs (timestamp identifiers): 64-bit integers, written as 13 characters of base32-sortable.
//!
//! Layout: the top bit is 0, then 53 bits of microseconds since the UNIX epoch, then a 10-bit clock
//! identifier. The alphabet `234567abcdefghijklmnopqrstuvwxyz` sorts like the numbers it encodes,
//! so TIDs sort by time. 13 × 5 = 65 bits: the first character carries only 4 bits, and with the top
//! bit clear it is one of `234567ab`. (The spec's regex admits `c`–`j` as first character; those set
//! the top bit, which the same spec forbids, so they are refused here.)
//!
//! Generation ([`Tid::now`], [`TidGenerator`]) never repeats and never goes backwards within a
//! process: each new TID's timestamp is at least one microsecond past the last one handed out, so a
//! burst of calls in one microsecond, a millisecond-only clock (padded ×1000, as the spec advises) or
//! a clock that steps back all still give strictly increasing TIDs. The clock id is drawn once per
//! process from the secure random source (getrandom: `crypto.getRandomValues` in browsers/Workers).

use super::invalid;
use crate::{Code, Error, Result};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const ALPHABET: &[u8; 32] = b"234567abcdefghijklmnopqrstuvwxyz";
/// Length of a TID string.
pub const TID_LEN: usize = 13;
/// Largest timestamp a TID can hold: 2^53 − 1 microseconds.
pub const MAX_MICROS: u64 = (1 << 53) - 1;
/// Largest clock identifier: 2^10 − 1.
pub const MAX_CLOCK_ID: u16 = (1 << 10) - 1;

/// A timestamp identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tid(u64);

fn digit_value(c: u8) -> Option<u64> {
    match c {
        b'2'..=b'7' => Some(u64::from(c - b'2')),
        b'a'..=b'z' => Some(u64::from(c - b'a') + 6),
        _ => None,
    }
}

impl Tid {
    /// The TID of `micros` microseconds since the epoch and clock id `clock_id`.
    pub fn from_time(micros: u64, clock_id: u16) -> Result<Tid> {
        if micros > MAX_MICROS {
            return Err(Error::formatted(
                Code::InvalidTid,
                format_args!("timestamp {micros} µs does not fit in 53 bits"),
            ));
        }
        if clock_id > MAX_CLOCK_ID {
            return Err(Error::formatted(
                Code::InvalidTid,
                format_args!("clock id {clock_id} does not fit in 10 bits"),
            ));
        }
        Ok(Tid((micros << 10) | u64::from(clock_id)))
    }

    /// The TID whose 64-bit value [`Tid::as_u64`] gave (kept compactly elsewhere).
    pub(crate) fn from_u64(value: u64) -> Tid {
        Tid(value)
    }

    /// Parses a 13-character TID string.
    pub fn parse(s: &str) -> Result<Tid> {
        let bad = |why: &str| invalid(Code::InvalidTid, "TID", s, why);
        if s.len() != TID_LEN {
            return Err(bad("must be exactly 13 characters"));
        }
        let mut value: u64 = 0;
        for (i, c) in s.bytes().enumerate() {
            let digit =
                digit_value(c).ok_or_else(|| bad("has a character outside base32-sortable"))?;
            if i == 0 && digit > 7 {
                return Err(bad(
                    "the top bit must be 0 (first character one of 234567ab)",
                ));
            }
            value = (value << 5) | digit;
        }
        Ok(Tid(value))
    }

    /// The 64-bit integer.
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// Microseconds since the UNIX epoch.
    pub fn micros(self) -> u64 {
        self.0 >> 10
    }

    /// `rev-in-future` when this TID, a commit's rev, lies more than `drift_micros` ahead of
    /// `now_micros` (µs since the epoch): the network's consumers refuse such commits.
    pub fn ensure_not_ahead(self, now_micros: u64, drift_micros: u64) -> Result<()> {
        if self.micros() > now_micros.saturating_add(drift_micros) {
            return Err(Error::formatted(
                Code::RevInFuture,
                format_args!(
                    "rev {self} is {} s ahead of the clock, beyond the allowed drift of {} s",
                    (self.micros() - now_micros) / 1_000_000,
                    drift_micros / 1_000_000
                ),
            ));
        }
        Ok(())
    }

    /// The 10-bit clock identifier.
    pub fn clock_id(self) -> u16 {
        (self.0 & u64::from(MAX_CLOCK_ID)) as u16
    }

    /// A new TID from the process-wide generator, using the system clock (native targets; on
    /// wasm32 the caller supplies the time through [`TidGenerator::global`]).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn now() -> Result<Tid> {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| Error::new(Code::Environment, "the system clock is before 1970"))?
            .as_micros();
        TidGenerator::global()?.next(u64::try_from(micros).unwrap_or(u64::MAX))
    }
}

/// [`Tid::parse`].
impl std::str::FromStr for Tid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Tid> {
        Tid::parse(s)
    }
}

impl Tid {
    /// The string form, written into `out`.
    pub(crate) fn encode_string<'t>(&self, out: &'t mut [u8; TID_LEN]) -> &'t str {
        for (i, slot) in out.iter_mut().enumerate() {
            let shift = 5 * (TID_LEN - 1 - i);
            *slot = ALPHABET
                .get(((self.0 >> shift) & 31) as usize)
                .copied()
                .unwrap_or(b'2');
        }
        // The alphabet is ASCII; the fallback is never taken.
        std::str::from_utf8(out).unwrap_or_default()
    }
}

impl fmt::Display for Tid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.encode_string(&mut [0; TID_LEN]))
    }
}

/// Whether `s` is a valid TID.
pub fn is_valid_tid(s: &str) -> bool {
    Tid::parse(s).is_ok()
}

/// Checks a TID string.
pub fn ensure_valid_tid(s: &str) -> Result<()> {
    Tid::parse(s).map(|_| ())
}

/// A source of strictly increasing TIDs with one clock id.
#[derive(Debug)]
pub struct TidGenerator {
    clock_id: u16,
    /// The timestamp of the last TID handed out (µs).
    last_micros: AtomicU64,
}

impl TidGenerator {
    /// A generator with the given clock id.
    pub fn new(clock_id: u16) -> Result<TidGenerator> {
        Tid::from_time(0, clock_id)?;
        Ok(TidGenerator {
            clock_id,
            last_micros: AtomicU64::new(0),
        })
    }

    /// The process-wide generator, with a clock id drawn from the secure random source.
    pub fn global() -> Result<&'static TidGenerator> {
        static GLOBAL: OnceLock<TidGenerator> = OnceLock::new();
        if let Some(generator) = GLOBAL.get() {
            return Ok(generator);
        }
        let mut random = [0u8; 2];
        getrandom::fill(&mut random).map_err(|e| {
            Error::formatted(
                Code::Environment,
                format_args!("no secure random source: {e}"),
            )
        })?;
        let clock_id = u16::from_le_bytes(random) & MAX_CLOCK_ID;
        Ok(GLOBAL.get_or_init(|| TidGenerator {
            clock_id,
            last_micros: AtomicU64::new(0),
        }))
    }

    /// The next TID for a clock reading of `now_micros`: that time, or one microsecond past the
    /// last TID if the clock has not moved on (or went back).
    pub fn next(&self, now_micros: u64) -> Result<Tid> {
        let mut last = self.last_micros.load(Ordering::Relaxed);
        loop {
            let micros = now_micros.max(last.saturating_add(1));
            let tid = Tid::from_time(micros, self.clock_id)?;
            match self.last_micros.compare_exchange_weak(
                last,
                micros,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Ok(tid),
                Err(seen) => last = seen,
            }
        }
    }

    /// This generator's clock id.
    pub fn clock_id(&self) -> u16 {
        self.clock_id
    }
}

// Cold and out of line, as `Error::new`; it takes `format_args!` so that each caller passes its
// arguments only and the message is formatted here, once (size: docs/performance.md, "wasm size").
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_known_values() {
        assert_eq!(Tid::from_time(0, 0).unwrap().to_string(), "2222222222222");
        assert_eq!(Tid::parse("2222222222222").unwrap().as_u64(), 0);
        let max = Tid::from_time(MAX_MICROS, MAX_CLOCK_ID).unwrap();
        assert_eq!(max.to_string(), "bzzzzzzzzzzzz");
        assert_eq!(Tid::parse("bzzzzzzzzzzzz").unwrap(), max);
        assert_eq!(
            Tid::parse("czzzzzzzzzzzz").unwrap_err().code(),
            Code::InvalidTid
        );
    }

    #[test]
    fn from_time_and_parse_round_trip() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let micros = x & MAX_MICROS;
            let clock = (x >> 53) as u16 & MAX_CLOCK_ID;
            let tid = Tid::from_time(micros, clock).unwrap();
            let parsed = Tid::parse(&tid.to_string()).unwrap();
            assert_eq!((parsed.micros(), parsed.clock_id()), (micros, clock));
        }
        assert!(Tid::from_time(MAX_MICROS + 1, 0).is_err());
        assert!(Tid::from_time(0, MAX_CLOCK_ID + 1).is_err());
    }

    #[test]
    fn strictly_increasing_over_a_million_calls() {
        let mut last = Tid::now().unwrap();
        for _ in 0..1_000_000 {
            let next = Tid::now().unwrap();
            assert!(next > last, "{next} after {last}");
            assert!(next.to_string() > last.to_string());
            last = next;
        }
    }

    #[test]
    fn increasing_when_the_clock_stalls_or_steps_back() {
        let generator = TidGenerator::new(7).unwrap();
        let readings = [
            1_000_000u64,
            1_000_000,
            999_000,
            5,
            1_000_001,
            2_000_000,
            1_999_999,
        ];
        let tids: Vec<Tid> = readings
            .iter()
            .map(|&t| generator.next(t).unwrap())
            .collect();
        assert!(tids.windows(2).all(|w| w[0] < w[1]), "{tids:?}");
        assert_eq!(tids[1].micros(), 1_000_001);
        assert_eq!(tids[5].micros(), 2_000_000);
        assert!(tids.iter().all(|t| t.clock_id() == 7));
    }

    #[test]
    fn refuses_to_run_past_53_bits() {
        let generator = TidGenerator::new(0).unwrap();
        generator.next(MAX_MICROS).unwrap();
        assert_eq!(generator.next(0).unwrap_err().code(), Code::InvalidTid);
    }
}
