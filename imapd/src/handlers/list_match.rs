//! LIST pattern matching (RFC 3501 §6.3.8): `*` matches anything, `%` anything but the
//! hierarchy separator; the reference is prefixed to the pattern; `INBOX` in any case at the
//! start of a pattern means the inbox.

use crate::proto::mailbox::{SEPARATOR, normalize_inbox};

/// Whether `name` matches `pattern` (both UTF-8 store paths). Dynamic programming over
/// (pattern position, name position), so hostile patterns with many wildcards stay O(p·n).
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // row[j]: pattern prefix matches name prefix of length j.
    let mut row = vec![false; n.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; n.len() + 1];
        match pc {
            '*' | '%' => {
                next[0] = row[0];
                for j in 1..=n.len() {
                    let may_eat = pc == '*' || n[j - 1] != SEPARATOR;
                    next[j] = row[j] || (may_eat && next[j - 1]);
                }
            }
            c => {
                for j in 1..=n.len() {
                    next[j] = row[j - 1] && n[j - 1] == c;
                }
            }
        }
        row = next;
    }
    row[n.len()]
}

/// Joins reference and pattern (RFC 3501 §6.3.8) and normalises a leading INBOX.
pub fn full_pattern(reference: &str, pattern: &str) -> String {
    let joined = if reference.is_empty() {
        pattern.to_owned()
    } else if pattern.starts_with(SEPARATOR) || reference.ends_with(SEPARATOR) {
        format!("{reference}{pattern}")
    } else {
        format!("{reference}{SEPARATOR}{pattern}")
    };
    normalize_inbox(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let table = [
            ("*", "a/b/c", true),
            ("%", "a/b", false),
            ("%", "a", true),
            ("a/%", "a/b", true),
            ("a/%", "a/b/c", false),
            ("a/*", "a/b/c", true),
            ("INBOX", "INBOX", true),
            ("S%t", "Sent", true),
            ("S%t", "S/t", false),
            ("*x", "abx", true),
            ("", "a", false),
        ];
        for (p, n, want) in table {
            assert_eq!(matches(p, n), want, "{p} {n}");
        }
        assert_eq!(full_pattern("", "inbox"), "INBOX");
        assert_eq!(full_pattern("a", "%"), "a/%");
        assert_eq!(full_pattern("a/", "%"), "a/%");
    }
}
