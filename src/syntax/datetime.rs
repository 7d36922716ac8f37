//! The lexicon `datetime` format: RFC 3339 ∩ ISO 8601 ∩ WHATWG, checked as a calendar too.
//!
//! Shape: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, upper-case `T` and `Z`, whole seconds
//! required, 1 to 20 fraction digits, a timezone required and `-00:00` refused. Then the calendar:
//! month 1–12, a day that exists in that month (leap years counted), hour ≤ 23, minute ≤ 59,
//! second ≤ 59, offset ≤ 23:59, and the instant, once the offset is applied, not before year 0.
//! [`format_datetime`] writes one (UTC, milliseconds) from microseconds since the epoch.

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

/// The atproto datetime of an instant, `micros` microseconds after the UNIX epoch, in UTC with
/// milliseconds, as JavaScript's `Date.prototype.toISOString` writes it
/// (`2025-01-10T09:06:40.123Z`): what a commit's event `time` holds. The microseconds below the
/// millisecond are dropped.
pub fn format_datetime(micros: u64) -> String {
    let millis = micros / 1000;
    let seconds = millis / 1000;
    let days = seconds / 86_400;
    let of_day = seconds % 86_400;
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        millis % 1000
    )
}

/// The proleptic Gregorian date `days` days after 1970-01-01: counted in 400-year eras from
/// 0000-03-01, so that the leap day ends each year of the count.
fn civil_date(days: u64) -> (u64, u64, u64) {
    // 1970-01-01 is day 719,468 after 0000-03-01; an era is 146,097 days.
    let since_march_0000 = days + 719_468;
    let era = since_march_0000 / 146_097;
    let day_of_era = since_march_0000 % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March, each 153 days to five months.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
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

    #[test]
    fn instants_are_written_as_javascript_writes_them() {
        for (micros, text) in [
            (0, "1970-01-01T00:00:00.000Z"),
            (1_736_500_000_123_456, "2025-01-10T09:06:40.123Z"),
            (951_782_400_000_000, "2000-02-29T00:00:00.000Z"),
            (951_868_799_999_999, "2000-02-29T23:59:59.999Z"),
            (4_102_444_799_000_000, "2099-12-31T23:59:59.000Z"),
            (9_007_199_254_740_991, "2255-06-05T23:47:34.740Z"),
        ] {
            assert_eq!(format_datetime(micros), text);
        }
    }

    #[test]
    fn every_day_of_four_centuries_is_written_as_the_calendar_counts_it() {
        // Day by day from 1970 through 2370 (a 400-year cycle and more), against a count of the
        // calendar's own months; every string a valid datetime.
        let (mut year, mut month, mut day) = (1970u32, 1u32, 1u32);
        for days in 0..146_097u64 + 365 {
            let text = format_datetime(days * 86_400_000_000 + 43_200_000_000);
            assert_eq!(text, format!("{year:04}-{month:02}-{day:02}T12:00:00.000Z"));
            assert!(is_valid_datetime(&text), "{text}");
            day += 1;
            if day > days_in_month(year, month) {
                (day, month) = (1, month + 1);
                if month > 12 {
                    (month, year) = (1, year + 1);
                }
            }
        }
    }
}
