//! Calendar days for the date SEARCH keys (RFC 3501 §6.4.4: "disregarding time and timezone").
//!
//! Days are the protocol core's [`Date`] (ordered by year, month, day). The internal date's day
//! is taken in the message's own zone (`internal_tz_minutes`), as a client reading INTERNALDATE
//! would see it. The sent date is the date *written* in the Date header, parsed from the header
//! text, so its zone is respected exactly; only when that text does not parse is the stored UTC
//! timestamp (`meta.sent_date`) used, which may be one day off near midnight; a message with
//! neither counts as sent on 1970-01-01, as Dovecot answers.

pub use crate::proto::datetime::Date;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day `year-month-day`, if it exists.
pub fn ymd(year: i32, month: u8, day: u8) -> Option<Date> {
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(Date {
        year,
        month,
        day,
    })
}

/// The date written in an RFC 5322 Date header (`[Day,] 3 Nov 2026 ...`), two- and
/// three-digit years mapped as RFC 5322 §4.3 says.
pub fn parse_header_date(value: &str) -> Option<Date> {
    let v = match value.split_once(',') {
        Some((_, rest)) => rest,
        None => value,
    };
    let mut it = v.split_ascii_whitespace();
    let day: u8 = it.next()?.parse().ok()?;
    let name = it.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))?;
    let y = it.next()?;
    let mut year: i32 = y.parse().ok()?;
    year += match y.len() {
        2 if year < 50 => 2000,
        2 | 3 => 1900,
        _ => 0,
    };
    ymd(year, u8::try_from(month + 1).ok()?, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let table = [
            ("Tue, 3 Nov 2026 23:30:00 -0800", ymd(2026, 11, 3)),
            ("03 nov 2026 01:00 +0100", ymd(2026, 11, 3)),
            ("1 Jan 98 00:00 GMT", ymd(1998, 1, 1)),
            ("1 Jan 07 00:00 GMT", ymd(2007, 1, 1)),
            ("1 Jan 107 00:00 GMT", ymd(2007, 1, 1)),
            ("29 Feb 2023 00:00 GMT", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, want) in table {
            assert_eq!(parse_header_date(text), want, "{text}");
        }
    }

    #[test]
    fn internal_date_day_is_taken_in_its_zone() {
        // 2025-11-29T23:30:00Z
        let t = 1_764_459_000;
        assert_eq!(
            Date::from_unix(t, 0),
            Date {
                year: 2025,
                month: 11,
                day: 29
            }
        );
        assert_eq!(
            Date::from_unix(t, 60),
            Date {
                year: 2025,
                month: 11,
                day: 30
            }
        );
        assert_eq!(
            Date::from_unix(t - 84_600, -1),
            Date {
                year: 2025,
                month: 11,
                day: 28
            }
        );
    }
}
