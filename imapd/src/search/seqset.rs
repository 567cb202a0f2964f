//! The compact `sequence-set` form of a search result (RFC 4731 §3.1 `ALL`, RFC 5182 SAVE).

use std::fmt::Write as _;

/// `values` (ascending, distinct) as `1:3,5`. Empty input gives an empty string.
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
mod tests {
    use super::*;

    #[test]
    fn compact_table() {
        let table: [(&[u32], &str); 6] = [
            (&[], ""),
            (&[4], "4"),
            (&[1, 2, 3, 5], "1:3,5"),
            (&[1, 3, 5, 6], "1,3,5:6"),
            (&[7, 8, 9, 10, 20, 21], "7:10,20:21"),
            (&[u32::MAX - 1, u32::MAX], "4294967294:4294967295"),
        ];
        for (v, want) in table {
            assert_eq!(compact(v), want);
        }
    }
}
