//! Mailbox names between the wire and the store (RFC 3501 §5.1, RFC 6855 §3).
//!
//! Invariants: the store sees UTF-8 paths with `/` as separator and `INBOX` spelled in upper
//! case (any case on the wire means the inbox, RFC 3501 §5.1); without UTF8=ACCEPT names travel as
//! modified UTF-7, with it as raw UTF-8.

use super::mutf7;
use thiserror::Error;

/// The hierarchy separator we announce in LIST and NAMESPACE.
pub const SEPARATOR: char = '/';

/// A mailbox name as the client sent it (astring bytes, not yet decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMailbox(pub Vec<u8>);

/// Why a mailbox name cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
pub enum MailboxNameError {
    #[error("mailbox name is not valid modified UTF-7")]
    BadEncoding,
    #[error("mailbox name is empty or has an empty level")]
    Empty,
}

impl RawMailbox {
    /// The store path: decoded (mUTF-7, or UTF-8 when `utf8` is enabled), `INBOX` normalised,
    /// one trailing separator dropped (RFC 3501 §6.3.3 CREATE `foo/`).
    pub fn decode(&self, utf8: bool) -> Result<String, MailboxNameError> {
        let mut s = if utf8 {
            // RFC 6855 §3: after ENABLE UTF8=ACCEPT names are UTF-8; a client may still send
            // mUTF-7 for plain ASCII names, which is the same bytes.
            String::from_utf8(self.0.clone()).map_err(|_| MailboxNameError::BadEncoding)?
        } else {
            mutf7::decode(&self.0).map_err(|_| MailboxNameError::BadEncoding)?
        };
        if s.len() > 1 && s.ends_with(SEPARATOR) {
            s.pop();
        }
        if s.is_empty() || s.split(SEPARATOR).any(str::is_empty) {
            return Err(MailboxNameError::Empty);
        }
        Ok(normalize_inbox(s))
    }
}

/// `inbox`, `Inbox/x` ... become `INBOX`, `INBOX/x`.
pub fn normalize_inbox(s: String) -> String {
    let head = s.split(SEPARATOR).next().unwrap_or("");
    if head.eq_ignore_ascii_case("INBOX") && head != "INBOX" {
        format!("INBOX{}", &s[head.len()..])
    } else {
        s
    }
}

/// The wire form of a store path: mUTF-7 unless `utf8`.
pub fn encode(path: &str, utf8: bool) -> Vec<u8> {
    if utf8 {
        path.as_bytes().to_vec()
    } else {
        mutf7::encode(path).into_bytes()
    }
}

/// Joins a LIST reference and pattern (RFC 3501 §6.3.8): the reference is a prefix; a
/// separator is added between them unless one is already there, and a pattern starting with the
/// separator is taken as absolute.
pub fn join_reference(reference: &str, pattern: &str) -> String {
    if reference.is_empty() || pattern.starts_with(SEPARATOR) {
        return pattern.trim_start_matches(SEPARATOR).to_owned();
    }
    if reference.ends_with(SEPARATOR) {
        format!("{reference}{pattern}")
    } else {
        format!("{reference}{SEPARATOR}{pattern}")
    }
}

/// Whether `name` matches a LIST pattern (RFC 3501 §6.3.8): `*` matches anything, `%` anything
/// but the separator. Both are UTF-8 store paths (pattern already joined with the reference).
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern = normalize_inbox(pattern.to_owned());
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Dynamic programming over (pattern prefix, name prefix), O(|p|·|n|): hostile patterns like
    // `*%*%*%x` cannot make this exponential. `row[j]`: p[..i] matches n[..j].
    let mut row = vec![false; n.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; n.len() + 1];
        match pc {
            '*' | '%' => {
                // A wildcard extends any match by zero or more characters (`%` not `/`).
                next[0] = row[0];
                for j in 1..=n.len() {
                    next[j] = row[j] || (next[j - 1] && (pc == '*' || n[j - 1] != SEPARATOR));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_table() {
        let cases: &[(&[u8], bool, Result<&str, MailboxNameError>)] = &[
            (b"inbox", false, Ok("INBOX")),
            (b"InBox/Sub", false, Ok("INBOX/Sub")),
            (b"INBOXES", false, Ok("INBOXES")),
            (b"Entw&APw-rfe", false, Ok("Entwürfe")),
            ("Entwürfe".as_bytes(), true, Ok("Entwürfe")),
            (
                "Entwürfe".as_bytes(),
                false,
                Err(MailboxNameError::BadEncoding),
            ),
            (b"a/", false, Ok("a")),
            (b"a//b", false, Err(MailboxNameError::Empty)),
            (b"", false, Err(MailboxNameError::Empty)),
            (b"&-", false, Ok("&")),
        ];
        for (raw, utf8, want) in cases {
            let got = RawMailbox(raw.to_vec()).decode(*utf8);
            assert_eq!(
                got.as_deref().map_err(|e| *e),
                *want,
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        assert_eq!(encode("Entwürfe", false), b"Entw&APw-rfe");
        assert_eq!(encode("Entwürfe", true), "Entwürfe".as_bytes());
    }

    #[test]
    fn references() {
        let cases = [
            ("", "*", "*"),
            ("a", "%", "a/%"),
            ("a/", "%", "a/%"),
            ("a", "/b", "b"),
            ("", "", ""),
        ];
        for (r, p, want) in cases {
            assert_eq!(join_reference(r, p), want, "{r} {p}");
        }
    }

    #[test]
    fn patterns() {
        let cases = [
            ("*", "a/b", true),
            ("%", "a/b", false),
            ("%", "a", true),
            ("a/%", "a/b", true),
            ("a/%", "a/b/c", false),
            ("a*", "a/b/c", true),
            ("inbox", "INBOX", true),
            ("%/b", "a/b", true),
            ("x", "y", false),
            ("a%c", "abc", true),
            ("a%c", "a/c", false),
            ("a*c", "a/c", true),
            ("*/b", "x/y/b", true),
            ("%/b", "x/y/b", false),
            ("", "", true),
            ("", "a", false),
        ];
        for (p, n, want) in cases {
            assert_eq!(pattern_matches(p, n), want, "{p} {n}");
        }
        // Quadratic, not exponential.
        let hostile = "*%".repeat(200) + "x";
        assert!(!pattern_matches(&hostile, &"a".repeat(500)));
    }
}
