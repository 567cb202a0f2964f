//! IMAP dates: `date-time` for APPEND and INTERNALDATE, `date` for SEARCH (RFC 3501 §9).
//!
//! Pure calendar arithmetic (proleptic Gregorian, no clock): conversions between Unix time and
//! civil dates use the days-from-civil algorithm.

use super::cursor::Cursor;
use super::error::{PResult, SyntaxError};
use eider_model::types::UnixTime;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar day (SEARCH BEFORE/ON/SINCE compare days, ignoring time and zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    /// The day holding `t` shifted by `tz_minutes`.
    pub fn from_unix(t: UnixTime, tz_minutes: i16) -> Self {
        let local = t + i64::from(tz_minutes) * 60;
        let (year, month, day) = civil_from_days(local.div_euclid(86_400));
        Date { year, month, day }
    }
}

/// A point in time with the zone it was given in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub unix: UnixTime,
    /// Minutes east of UTC.
    pub tz_minutes: i16,
}

impl DateTime {
    /// `date-time` as IMAP writes it: `"dd-Mon-yyyy hh:mm:ss +zzzz"` with a space-padded day.
    pub fn to_wire(self) -> String {
        let local = self.unix + i64::from(self.tz_minutes) * 60;
        let (y, m, d) = civil_from_days(local.div_euclid(86_400));
        let secs = local.rem_euclid(86_400);
        let sign = if self.tz_minutes < 0 { '-' } else { '+' };
        let tz = self.tz_minutes.unsigned_abs();
        format!(
            "\"{d:2}-{}-{y:04} {:02}:{:02}:{:02} {sign}{:02}{:02}\"",
            MONTHS[usize::from(m - 1)],
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            tz / 60,
            tz % 60
        )
    }

    /// Parses a quoted `date-time`.
    pub fn parse(c: &mut Cursor<'_>) -> PResult<Self> {
        c.expect(b'"', "expected date-time")?;
        c.eat(b' '); // date-day-fixed may be space-padded
        let day = digits(c, 1, 2)?;
        let date = month_year(c, day)?;
        c.sp()?;
        let h = digits(c, 2, 2)?;
        c.expect(b':', "bad time")?;
        let mi = digits(c, 2, 2)?;
        c.expect(b':', "bad time")?;
        let s = digits(c, 2, 2)?;
        c.sp()?;
        let sign: i64 = if c.eat(b'-') {
            -1
        } else {
            c.expect(b'+', "bad zone")?;
            1
        };
        let z = digits(c, 4, 4)?;
        c.expect(b'"', "bad date-time")?;
        if h > 23 || mi > 59 || s > 60 || z % 100 > 59 {
            return Err(SyntaxError("bad time"));
        }
        let tz = sign * i64::from(z / 100 * 60 + z % 100);
        let local = date.days() * 86_400 + i64::from(h * 3600 + mi * 60 + s);
        Ok(DateTime {
            unix: local - tz * 60,
            tz_minutes: i16::try_from(tz).map_err(|_| SyntaxError("bad zone"))?,
        })
    }
}

/// SEARCH `date`: `date-text` or `DQUOTE date-text DQUOTE`.
pub fn parse_date(c: &mut Cursor<'_>) -> PResult<Date> {
    let quoted = c.eat(b'"');
    let day = digits(c, 1, 2)?;
    let d = month_year(c, day)?;
    if quoted {
        c.expect(b'"', "bad date")?;
    }
    Ok(d)
}

fn month_year(c: &mut Cursor<'_>, day: u32) -> PResult<Date> {
    c.expect(b'-', "bad date")?;
    let m = c.rest().get(..3).ok_or(SyntaxError("bad month"))?;
    let month = MONTHS
        .iter()
        .position(|x| x.as_bytes().eq_ignore_ascii_case(m))
        .ok_or(SyntaxError("bad month"))?;
    for _ in 0..3 {
        c.eat(c.peek().unwrap_or(0));
    }
    c.expect(b'-', "bad date")?;
    let year = digits(c, 4, 4)?;
    let month = u8::try_from(month + 1).map_err(|_| SyntaxError("bad month"))?;
    let year = i32::try_from(year).map_err(|_| SyntaxError("bad year"))?;
    if day == 0 || day > u32::from(days_in_month(year, month)) {
        return Err(SyntaxError("bad day"));
    }
    Ok(Date {
        year,
        month,
        day: u8::try_from(day).map_err(|_| SyntaxError("bad day"))?,
    })
}

fn digits(c: &mut Cursor<'_>, min: usize, max: usize) -> PResult<u32> {
    let d = c.rest();
    let n = d
        .iter()
        .take(max)
        .take_while(|b| b.is_ascii_digit())
        .count();
    if n < min {
        return Err(SyntaxError("expected digits"));
    }
    let mut v = 0u32;
    for _ in 0..n {
        let b = c.peek().unwrap_or(b'0');
        c.eat(b);
        v = v * 10 + u32::from(b - b'0');
    }
    Ok(v)
}

fn days_in_month(y: i32, m: u8) -> u8 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // The ranges are bounded by construction (1..=31, 1..=12).
    (y as i32, m as u8, d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_time_roundtrip() {
        let cases: &[(&str, i64, i16, &str)] = &[
            (
                "\"17-Jul-1996 02:44:25 -0700\"",
                837_596_665,
                -420,
                "\"17-Jul-1996 02:44:25 -0700\"",
            ),
            (
                "\" 1-Jan-1970 00:00:00 +0000\"",
                0,
                0,
                "\" 1-Jan-1970 00:00:00 +0000\"",
            ),
            (
                "\"1-jan-1970 01:00:00 +0100\"",
                0,
                60,
                "\" 1-Jan-1970 01:00:00 +0100\"",
            ),
            (
                "\"29-Feb-2024 23:59:59 +0530\"",
                1_709_231_399,
                330,
                "\"29-Feb-2024 23:59:59 +0530\"",
            ),
        ];
        for (input, unix, tz, wire) in cases {
            let dt = DateTime::parse(&mut Cursor::new(input.as_bytes())).unwrap();
            assert_eq!((dt.unix, dt.tz_minutes), (*unix, *tz), "{input}");
            assert_eq!(dt.to_wire(), *wire);
        }
        for bad in [
            "\"30-Feb-2024 00:00:00 +0000\"",
            "\"1-Foo-2024 00:00:00 +0000\"",
            "\"1-Jan-2024 24:00:00 +0000\"",
            "1-Jan-2024",
        ] {
            assert!(
                DateTime::parse(&mut Cursor::new(bad.as_bytes())).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn search_dates() {
        let d = parse_date(&mut Cursor::new(b"1-Feb-1994")).unwrap();
        assert_eq!(
            d,
            Date {
                year: 1994,
                month: 2,
                day: 1
            }
        );
        assert_eq!(parse_date(&mut Cursor::new(b"\"01-feb-1994\"")).unwrap(), d);
        assert_eq!(Date::from_unix(d.days() * 86_400 + 100, 0), d);
        assert_eq!(Date::from_unix(d.days() * 86_400 + 100, -60).day, 31);
    }
}
