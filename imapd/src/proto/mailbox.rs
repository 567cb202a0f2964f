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

/// Whether `name` matches a LIST pattern (RFC 3501 §6.3.8): `*` matches anything, `%` anything
/// but the separator. Both are UTF-8 store paths (pattern already joined with the reference).
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let pattern = normalize_inbox(pattern.to_owned());
    fn go(p: &[char], n: &[char]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some(('*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some(('%', rest)) => (0..=n.len())
                .take_while(|&i| i == 0 || n[i - 1] != SEPARATOR)
                .any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n.first() == Some(c) && go(rest, &n[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    go(&p, &n)
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
        ];
        for (p, n, want) in cases {
            assert_eq!(pattern_matches(p, n), want, "{p} {n}");
        }
    }
}
