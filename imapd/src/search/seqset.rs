//! Sequence sets (RFC 3501 §9 `sequence-set`) as SEARCH keys, and the compact form of a result.
//!
//! `*` stands for the largest number in use (the last sequence number, or the highest UID), and
//! `a:b` means the same as `b:a`. This is a small internal type: the wire parser's own sequence
//! set converts into it.

use std::fmt::Write as _;

/// One end of a range: a number or `*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeqBound {
    Num(u32),
    Star,
}

impl SeqBound {
    fn resolve(self, largest: u32) -> u32 {
        match self {
            SeqBound::Num(n) => n,
            SeqBound::Star => largest,
        }
    }
}

/// A union of inclusive ranges; a single number is a range with equal ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeqSet(pub Vec<(SeqBound, SeqBound)>);

impl SeqSet {
    /// Whether `n` is in the set, `*` meaning `largest` (RFC 3501 §6.4.8: for UIDs, the highest
    /// UID in the mailbox, so `5:*` with highest UID 3 contains 3).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|&(a, b)| {
            let (a, b) = (a.resolve(largest), b.resolve(largest));
            (a.min(b)..=a.max(b)).contains(&n)
        })
    }

    /// Parses the wire form (`1:3,5,7:*`), for tests and callers holding text.
    pub fn parse(s: &str) -> Option<Self> {
        let bound = |t: &str| match t {
            "*" => Some(SeqBound::Star),
            _ => t.parse::<u32>().ok().filter(|n| *n > 0).map(SeqBound::Num),
        };
        let mut out = Vec::new();
        for item in s.split(',') {
            let (a, b) = match item.split_once(':') {
                Some((a, b)) => (bound(a)?, bound(b)?),
                None => (bound(item)?, bound(item)?),
            };
            out.push((a, b));
        }
        Some(Self(out))
    }
}

/// `values` (ascending, distinct) in the compact `sequence-set` form: `1:3,5` (RFC 4731 §3.1
/// ALL). Empty input gives an empty string.
pub fn compact(values: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < values.len() {
        let start = values[i];
        let mut end = start;
        while i + 1 < values.len() && values[i + 1] == end.wrapping_add(1) {
            i += 1;
            end = values[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = if start == end {
            write!(out, "{start}")
        } else {
            write!(out, "{start}:{end}")
        };
        i += 1;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn contains_table() {
        // (set, n, largest, expected)
        let table = [
            ("1:3,5", 2, 10, true),
            ("1:3,5", 4, 10, false),
            ("1:3,5", 5, 10, true),
            ("5:*", 3, 3, true),
            ("5:*", 4, 3, true),
            ("5:*", 6, 3, false),
            ("*", 9, 9, true),
            ("*", 8, 9, false),
            ("7:2", 4, 9, true),
        ];
        for (s, n, largest, want) in table {
            let set = SeqSet::parse(s).unwrap_or_else(|| panic!("parse {s}"));
            assert_eq!(set.contains(n, largest), want, "{s} ∋ {n} (* = {largest})");
        }
        assert!(SeqSet::parse("0").is_none());
        assert!(SeqSet::parse("1:").is_none());
    }

    #[test]
    fn compact_table() {
        let table: [(&[u32], &str); 5] = [
            (&[], ""),
            (&[4], "4"),
            (&[1, 2, 3, 5], "1:3,5"),
            (&[1, 3, 5, 6], "1,3,5:6"),
            (&[7, 8, 9, 10, 20, 21], "7:10,20:21"),
        ];
        for (v, want) in table {
            assert_eq!(compact(v), want);
        }
    }
}
