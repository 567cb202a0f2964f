//! RFC 5322 §3.3 dates, including the obsolete forms of §4.3 (two- and three-digit years,
//! alphabetic zones, missing seconds or day of week), best effort: comments and unknown words
//! are skipped, an unknown zone counts as UTC.

use chrono::NaiveDate;
use eider_model::types::UnixTime;

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Parses a Date header value into a Unix timestamp.
pub(crate) fn parse(v: &[u8]) -> Option<UnixTime> {
    let clean = super::params::strip_comments(v);
    let s = String::from_utf8_lossy(&clean).to_ascii_lowercase();
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let mut day = None;
    let mut month = None;
    let mut year = None;
    let mut time = None;
    let mut zone = 0i64;
    for w in &words {
        if let Some(m) = MONTHS.iter().position(|m| w.starts_with(m)) {
            if month.is_none() {
                month = Some(m as u32 + 1);
            }
        } else if w.contains(':') {
            // `00:01+0000`: a zone glued to the time.
            let (t, z) = match w.find(['+', '-']) {
                Some(i) => (&w[..i], Some(&w[i..])),
                None => (*w, None),
            };
            if time.is_none() {
                time = parse_time(t);
            }
            if let Some(z) = z.and_then(|z| parse_zone(z, true)) {
                zone = z;
            }
        } else if let Some(z) = parse_zone(w, time.is_some()) {
            zone = z;
        } else if let Ok(n) = w.parse::<i64>() {
            if day.is_none() && month.is_none() && n <= 31 {
                day = Some(n as u32);
            } else if year.is_none() && (month.is_some() || day.is_some()) {
                year = Some(fix_year(n, w.len()));
            } else if day.is_none() && n <= 31 {
                day = Some(n as u32);
            }
        }
    }
    let date = NaiveDate::from_ymd_opt(year? as i32, month?, day?)?;
    let (h, m, sec) = time.unwrap_or((0, 0, 0));
    let dt = date.and_hms_opt(h, m, sec.min(59))?;
    Some(dt.and_utc().timestamp() - zone)
}

/// RFC 5322 §4.3: two-digit years below 50 are 20xx, others 19xx; three digits add 1900.
fn fix_year(n: i64, digits: usize) -> i64 {
    match digits {
        1 | 2 if n < 50 => 2000 + n,
        1 | 2 => 1900 + n,
        3 => 1900 + n,
        _ => n,
    }
}

fn parse_time(w: &str) -> Option<(u32, u32, u32)> {
    let mut it = w.split(':').map(|p| p.parse::<u32>().ok());
    let h = it.next()??;
    let m = it.next()??;
    let s = it.next().flatten().unwrap_or(0);
    (h < 24 && m < 60 && s < 61).then_some((h, m, s))
}

/// Zone offset in seconds east of UTC.
fn parse_zone(w: &str, after_time: bool) -> Option<i64> {
    let b = w.as_bytes();
    // `+hhmm`; `-600` (three digits, seen in old mail) is `-0600`.
    if (b.first() == Some(&b'+') || b.first() == Some(&b'-')) && (b.len() == 4 || b.len() == 5) {
        let n: i64 = w[1..].parse().ok()?;
        let secs = (n / 100) * 3600 + (n % 100) * 60;
        return Some(if b[0] == b'-' { -secs } else { secs });
    }
    if !after_time {
        return None;
    }
    let h = match w {
        "ut" | "utc" | "gmt" | "z" => 0,
        "edt" => -4,
        "est" | "cdt" => -5,
        "cst" | "mdt" => -6,
        "mst" | "pdt" => -7,
        "pst" => -8,
        // RFC 5322 §4.3: military zones are unreliable; read as UTC.
        _ if w.len() == 1 && w.as_bytes()[0].is_ascii_alphabetic() => 0,
        _ => return None,
    };
    Some(h * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let table: &[(&[u8], Option<UnixTime>)] = &[
            (b"Thu, 13 Feb 1969 23:32:54 -0330", Some(-27_723_426)),
            (b"Fri, 21 Nov 1997 09:55:06 -0600", Some(880_127_706)),
            (b"21 Nov 97 09:55:06 GMT", Some(880_106_106)),
            (b"Fri, 21 Nov 1997 09:55 +0000 (UTC)", Some(880_106_100)),
            (b"Tue, 30 Jul 102 08:30:04 +0000", Some(1_028_017_804)),
            (b"Mon,  1 Jan 2001 00:00:00 EST", Some(978_325_200)),
            (b"01 Jan 2001 00:01+0000", Some(978_307_260)),
            (b"Mon, 21 Aug 95 13:30:57 -600", Some(809_033_457)),
            (b"garbage", None),
            (b"", None),
        ];
        for (input, want) in table {
            assert_eq!(parse(input), *want, "{}", String::from_utf8_lossy(input));
        }
    }
}
