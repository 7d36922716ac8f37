//! The lexicon `datetime` format: RFC 3339 ∩ ISO 8601 ∩ WHATWG, checked as a calendar too.
//!
//! Shape: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, upper-case `T` and `Z`, whole seconds
//! required, 1 to 20 fraction digits, a timezone required and `-00:00` refused. Then the calendar:
//! month 1–12, a day that exists in that month (leap years counted), hour ≤ 23, minute ≤ 59,
//! second ≤ 59, offset ≤ 23:59, and the instant, once the offset is applied, not before year 0.

use super::invalid;
use crate::{Code, Result};

/// Maximum length of a datetime string.
pub const MAX_DATETIME_LEN: usize = 64;
const MAX_FRACTION_DIGITS: usize = 20;

/// The datetime's fields, as written.
struct Parts {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Offset from UTC in minutes (east positive).
    offset_minutes: i32,
}

fn digits(bytes: &[u8], at: usize, n: usize) -> Option<u32> {
    let chunk = bytes.get(at..at + n)?;
    chunk.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn parse_shape(s: &str) -> std::result::Result<Parts, &'static str> {
    let b = s.as_bytes();
    let sep = |at: usize, c: u8| b.get(at) == Some(&c);
    let year = digits(b, 0, 4).ok_or("expected a 4-digit year")?;
    if !sep(4, b'-') || !sep(7, b'-') || !sep(10, b'T') || !sep(13, b':') || !sep(16, b':') {
        return Err("expected YYYY-MM-DDTHH:MM:SS");
    }
    let month = digits(b, 5, 2).ok_or("expected a 2-digit month")?;
    let day = digits(b, 8, 2).ok_or("expected a 2-digit day")?;
    let hour = digits(b, 11, 2).ok_or("expected a 2-digit hour")?;
    let minute = digits(b, 14, 2).ok_or("expected 2-digit minutes")?;
    let second = digits(b, 17, 2).ok_or("expected 2-digit seconds")?;
    let mut at = 19;
    if sep(at, b'.') {
        let count = b
            .get(at + 1..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if count == 0 || count > MAX_FRACTION_DIGITS {
            return Err("the fraction of a second must have 1 to 20 digits");
        }
        at += 1 + count;
    }
    let offset_minutes = match b.get(at..) {
        Some(b"Z") => 0,
        Some([sign @ (b'+' | b'-'), h1, h2, b':', m1, m2]) => {
            let hours = digits(&[*h1, *h2], 0, 2).ok_or("bad timezone offset")?;
            let minutes = digits(&[*m1, *m2], 0, 2).ok_or("bad timezone offset")?;
            if *sign == b'-' && hours == 0 && minutes == 0 {
                return Err("the offset -00:00 is not allowed");
            }
            if hours > 23 || minutes > 59 {
                return Err("the timezone offset is out of range");
            }
            let total = (hours * 60 + minutes) as i32;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return Err("expected a timezone: 'Z' or ±HH:MM"),
    };
    Ok(Parts {
        year,
        month,
        day,
        hour,
        minute,
        second,
        offset_minutes,
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn check_calendar(p: &Parts) -> std::result::Result<(), &'static str> {
    if !(1..=12).contains(&p.month) {
        return Err("the month must be 01 to 12");
    }
    if p.day == 0 || p.day > days_in_month(p.year, p.month) {
        return Err("that day does not exist in that month");
    }
    if p.hour > 23 || p.minute > 59 || p.second > 59 {
        return Err("the time of day is out of range");
    }
    // Only the first day of year 0 can be pushed before the epoch of the calendar by an offset.
    let minutes_into_year =
        ((p.month > 1 || p.day > 1) as i32) * 24 * 60 + (p.hour * 60 + p.minute) as i32;
    if p.year == 0 && minutes_into_year - p.offset_minutes < 0 {
        return Err("the instant falls before year 0");
    }
    Ok(())
}

/// Checks an atproto datetime string, syntax and calendar.
pub fn ensure_valid_datetime(s: &str) -> Result<()> {
    if s.len() > MAX_DATETIME_LEN {
        return Err(invalid(
            Code::InvalidDatetime,
            "datetime",
            s,
            "longer than 64 characters",
        ));
    }
    parse_shape(s)
        .and_then(|parts| check_calendar(&parts))
        .map_err(|why| invalid(Code::InvalidDatetime, "datetime", s, why))
}

/// Whether `s` is a valid atproto datetime.
pub fn is_valid_datetime(s: &str) -> bool {
    ensure_valid_datetime(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_rules() {
        assert!(is_valid_datetime("2024-02-29T00:00:00Z"));
        assert!(!is_valid_datetime("2023-02-29T00:00:00Z"));
        assert!(!is_valid_datetime("1900-02-29T00:00:00Z"));
        assert!(is_valid_datetime("2000-02-29T00:00:00Z"));
        assert!(!is_valid_datetime("2000-04-31T00:00:00Z"));
        assert!(is_valid_datetime("0000-01-01T00:30:00+00:30"));
        assert!(!is_valid_datetime("0000-01-01T00:29:00+00:30"));
        assert!(is_valid_datetime("0000-01-01T00:00:00-01:00"));
        assert!(!is_valid_datetime("1985-04-12T23:20:50.123+24:00"));
    }
}
