//! Calendar dates for the date SEARCH keys (RFC 3501 §6.4.4: "disregarding time and timezone").
//!
//! A [`Date`] is a day number (days since 1970-01-01, proleptic Gregorian). The internal date's
//! day is taken in the message's own zone (`internal_tz_minutes`), as a client that saw
//! INTERNALDATE would read it. The sent date is the date *written* in the Date header, parsed
//! from the header text, so its zone is respected exactly; only when that text does not parse is
//! the stored UTC timestamp (`meta.sent_date`) used, which may be one day off near midnight.

use eider_common::types::UnixTime;

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub i64);

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl Date {
    /// The day `year-month-day`, if it exists.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Days from civil (H. Hinnant's algorithm), years starting in March.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Date(era * 146_097 + doe - 719_468))
    }

    /// The day `t` falls on, `tz_minutes` east of UTC.
    pub fn of_timestamp(t: UnixTime, tz_minutes: i16) -> Self {
        Date((t + i64::from(tz_minutes) * 60).div_euclid(86_400))
    }

    /// IMAP `date-text`: `1-Feb-1994` (month name case-insensitive).
    pub fn parse_imap(s: &str) -> Option<Self> {
        let mut it = s.split('-');
        let (d, m, y) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() || y.len() != 4 {
            return None;
        }
        Self::from_ymd(y.parse().ok()?, month(m)?, d.parse().ok()?)
    }

    /// The date written in an RFC 5322 Date header (`[Day,] 3 Nov 2026 ...`), two- and
    /// three-digit years mapped as RFC 5322 §4.3 says.
    pub fn parse_header(value: &str) -> Option<Self> {
        let v = match value.split_once(',') {
            Some((_, rest)) => rest,
            None => value,
        };
        let mut it = v.split_ascii_whitespace();
        let day: u32 = it.next()?.parse().ok()?;
        let m = month(it.next()?)?;
        let y = it.next()?;
        let mut year: i64 = y.parse().ok()?;
        year += match y.len() {
            2 if year < 50 => 2000,
            2 | 3 => 1900,
            _ => 0,
        };
        Self::from_ymd(year, m, day)
    }
}

fn month(name: &str) -> Option<u32> {
    let pos = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    u32::try_from(pos + 1).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        let table = [
            ((1970, 1, 1), Some(0)),
            ((2000, 3, 1), Some(11_017)),
            ((2026, 11, 29), Some(20_786)),
            ((1969, 12, 31), Some(-1)),
            ((2024, 2, 29), Some(19_782)),
            ((2023, 2, 29), None),
            ((2023, 13, 1), None),
        ];
        for ((y, m, d), want) in table {
            assert_eq!(Date::from_ymd(y, m, d).map(|d| d.0), want, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn timestamps_in_their_zone() {
        // 2026-11-29T23:30:00Z
        let t = Date::from_ymd(2026, 11, 29)
            .map(|d| d.0 * 86_400)
            .unwrap_or(0)
            + 84_600;
        assert_eq!(
            Date::of_timestamp(t, 0),
            Date::from_ymd(2026, 11, 29).unwrap()
        );
        assert_eq!(
            Date::of_timestamp(t, 60),
            Date::from_ymd(2026, 11, 30).unwrap()
        );
        assert_eq!(
            Date::of_timestamp(t - 84_600, -1),
            Date::from_ymd(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn parsing() {
        let d = |y, m, dd| Date::from_ymd(y, m, dd);
        let table = [
            ("1-Feb-1994", Date::parse_imap("1-feb-1994"), d(1994, 2, 1)),
            ("bad imap", Date::parse_imap("1-Foo-1994"), None),
            ("short year", Date::parse_imap("1-Feb-94"), None),
            (
                "header",
                Date::parse_header("Tue, 3 Nov 2026 23:30:00 -0800"),
                d(2026, 11, 3),
            ),
            (
                "no weekday",
                Date::parse_header("03 nov 2026 01:00 +0100"),
                d(2026, 11, 3),
            ),
            (
                "2-digit",
                Date::parse_header("1 Jan 98 00:00 GMT"),
                d(1998, 1, 1),
            ),
            (
                "2-digit 20xx",
                Date::parse_header("1 Jan 07 00:00 GMT"),
                d(2007, 1, 1),
            ),
            ("junk", Date::parse_header("yesterday"), None),
        ];
        for (name, got, want) in table {
            assert_eq!(got, want, "{name}");
        }
    }
}
