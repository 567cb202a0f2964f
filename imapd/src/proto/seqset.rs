//! Sequence sets (RFC 3501 §9 `sequence-set`, RFC 5182 `$`).
//!
//! Invariant: a parsed set is never empty and numbers are non-zero; `*` is kept symbolic and only
//! resolved against the mailbox's current maximum (message count or highest UID) when iterated.

use super::cursor::Cursor;
use super::error::{PResult, SyntaxError};

/// One end of a range: a number or `*` (the largest number in use).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqBound {
    Num(u32),
    Star,
}

impl SeqBound {
    fn resolve(self, max: u32) -> u32 {
        match self {
            SeqBound::Num(n) => n,
            SeqBound::Star => max,
        }
    }
}

/// A set of message numbers or UIDs as the client wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SequenceSet {
    /// Ranges `a:b` (a single number is `a:a`); order and overlap as written.
    Ranges(Vec<(SeqBound, SeqBound)>),
    /// `$`: the result saved by `SEARCH RETURN (SAVE)` (RFC 5182).
    Saved,
}

impl SequenceSet {
    /// Parses `sequence-set` (or `$`).
    pub fn parse(c: &mut Cursor<'_>) -> PResult<Self> {
        if c.eat(b'$') {
            return Ok(SequenceSet::Saved);
        }
        let mut ranges = Vec::new();
        loop {
            let a = bound(c)?;
            let b = if c.eat(b':') { bound(c)? } else { a };
            ranges.push((a, b));
            if !c.eat(b',') {
                return Ok(SequenceSet::Ranges(ranges));
            }
        }
    }

    /// Parses a whole string, e.g. from a test or a config.
    pub fn parse_str(s: &str) -> PResult<Self> {
        let mut c = Cursor::new(s.as_bytes());
        let set = Self::parse(&mut c)?;
        if c.at_end() {
            Ok(set)
        } else {
            Err(SyntaxError("trailing data in sequence set"))
        }
    }

    /// The set resolved against `max` as sorted, merged, inclusive ranges clipped to `1..=max`.
    /// `$` resolves to nothing: the session substitutes the saved set itself.
    pub fn ranges(&self, max: u32) -> Vec<(u32, u32)> {
        let SequenceSet::Ranges(rs) = self else {
            return Vec::new();
        };
        let mut out: Vec<(u32, u32)> = rs
            .iter()
            .map(|(a, b)| {
                let (a, b) = (a.resolve(max), b.resolve(max));
                // RFC 3501 §9: `a:b` and `b:a` are the same range.
                (a.min(b).max(1), a.max(b).min(max))
            })
            .filter(|(a, b)| a <= b)
            .collect();
        out.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(out.len());
        for (a, b) in out {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// Every number in the set, ascending, no duplicates, within `1..=max`.
    pub fn iter(&self, max: u32) -> impl Iterator<Item = u32> + use<> {
        self.ranges(max).into_iter().flat_map(|(a, b)| a..=b)
    }

    /// Whether `n` is in the set (UID sets: `max` is the highest UID in use).
    pub fn contains(&self, n: u32, max: u32) -> bool {
        let SequenceSet::Ranges(rs) = self else {
            return false;
        };
        rs.iter().any(|(a, b)| {
            let (a, b) = (a.resolve(max), b.resolve(max));
            a.min(b) <= n && n <= a.max(b)
        })
    }

    /// The set in wire form (`1:3,5,*`), for responses such as COPYUID.
    pub fn to_wire(&self) -> String {
        let SequenceSet::Ranges(rs) = self else {
            return "$".to_owned();
        };
        let b = |x: &SeqBound| match x {
            SeqBound::Num(n) => n.to_string(),
            SeqBound::Star => "*".to_owned(),
        };
        rs.iter()
            .map(|(x, y)| {
                if x == y {
                    b(x)
                } else {
                    format!("{}:{}", b(x), b(y))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Writes ascending numbers compactly as a sequence set (`1:3,7`); empty input gives "".
pub fn compact(nums: impl IntoIterator<Item = u32>) -> String {
    let mut out = String::new();
    let mut run: Option<(u32, u32)> = None;
    let flush = |out: &mut String, (a, b): (u32, u32)| {
        if !out.is_empty() {
            out.push(',');
        }
        if a == b {
            out.push_str(&a.to_string());
        } else {
            out.push_str(&format!("{a}:{b}"));
        }
    };
    for n in nums {
        run = match run {
            Some((a, b)) if b.checked_add(1) == Some(n) => Some((a, n)),
            Some(r) => {
                flush(&mut out, r);
                Some((n, n))
            }
            None => Some((n, n)),
        };
    }
    if let Some(r) = run {
        flush(&mut out, r);
    }
    out
}

fn bound(c: &mut Cursor<'_>) -> PResult<SeqBound> {
    if c.eat(b'*') {
        Ok(SeqBound::Star)
    } else {
        Ok(SeqBound::Num(c.nz_number()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_table() {
        let cases: &[(&str, u32, &[u32])] = &[
            ("1", 5, &[1]),
            ("1:3", 5, &[1, 2, 3]),
            ("3:1", 5, &[1, 2, 3]),
            ("*", 5, &[5]),
            ("4:*", 5, &[4, 5]),
            ("*:4", 5, &[4, 5]),
            ("2,4:5,1", 5, &[1, 2, 4, 5]),
            ("1:3,2:4", 9, &[1, 2, 3, 4]),
            ("7:9", 5, &[]),
            ("3:9", 5, &[3, 4, 5]),
            ("1:*", 0, &[]),
            ("*", 0, &[]),
        ];
        for (s, max, want) in cases {
            let set = SequenceSet::parse_str(s).unwrap();
            assert_eq!(set.iter(*max).collect::<Vec<_>>(), *want, "{s} max {max}");
        }
    }

    #[test]
    fn contains_and_wire() {
        let set = SequenceSet::parse_str("2:4,10:*").unwrap();
        assert!(set.contains(3, 20));
        assert!(set.contains(15, 20));
        assert!(!set.contains(5, 20));
        assert_eq!(set.to_wire(), "2:4,10:*");
        // A UID set `10:*` with highest UID 7 means 7:10 and so contains 7 (RFC 3501 §6.4.8).
        assert!(set.contains(7, 7));
        assert_eq!(SequenceSet::parse_str("$").unwrap(), SequenceSet::Saved);
    }

    #[test]
    fn malformed() {
        for s in ["", "0", "1:", ":2", "a", "1,,2", "1:0", "4294967296"] {
            assert!(SequenceSet::parse_str(s).is_err(), "{s}");
        }
    }

    #[test]
    fn compact_runs() {
        assert_eq!(compact([1, 2, 3, 5, 7, 8]), "1:3,5,7:8");
        assert_eq!(compact([]), "");
        assert_eq!(compact([u32::MAX]), "4294967295");
    }
}
