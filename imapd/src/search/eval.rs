//! Evaluation of a [`Query`] against one message, in three-valued logic.
//!
//! A message's facts arrive in stages (summary, then the full record, then the text blob), so
//! [`eval`] answers `Some(true)`, `Some(false)`, or `None` ("depends on facts not loaded yet").
//! `NOT None` is `None`; `AND` is false as soon as one operand is false; `OR` is true as soon as
//! one is true. The driver loads more only for messages still at `None`.
//!
//! String matching is substring, case-insensitive by Unicode lower-casing both sides; needles
//! are lower-cased once by [`super::compile`]. Header keys look at the decoded (RFC 2047) values of the
//! top-level header fields (address fields without their comments); TEXT also matches header
//! names and values.

use super::Query;
use super::date::{Date, parse_header_date};
use eider_model::types::{Uid, UnixTime};
use eider_model::{MessageMeta, MessageSummary, SystemFlags};

/// What is known about one message while evaluating.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub seq: u32,
    /// The largest sequence number and UID in use (what `*` means).
    pub largest_seq: u32,
    pub largest_uid: Uid,
    pub summary: &'a MessageSummary,
    pub recent: bool,
    /// The full record, once loaded.
    pub meta: Option<&'a MessageMeta>,
    /// The lower-cased body text, once loaded (empty when the message has no text blob).
    pub text: Option<&'a str>,
    /// Now, for OLDER/YOUNGER (RFC 5032).
    pub now: UnixTime,
}

/// Which stages a key may need: (full record, text blob).
pub fn needs(key: &Query) -> (bool, bool) {
    use Query as K;
    match key {
        K::Bcc(_)
        | K::Cc(_)
        | K::From(_)
        | K::To(_)
        | K::Subject(_)
        | K::Header(..)
        | K::SentBefore(_)
        | K::SentOn(_)
        | K::SentSince(_) => (true, false),
        K::Body(_) | K::Text(_) => (true, true),
        K::Not(k) => needs(k),
        K::Or(a, b) => or_needs(needs(a), needs(b)),
        K::And(v) => v.iter().map(needs).fold((false, false), or_needs),
        _ => (false, false),
    }
}

fn or_needs(a: (bool, bool), b: (bool, bool)) -> (bool, bool) {
    (a.0 || b.0, a.1 || b.1)
}

/// Case-insensitive substring: `needle` is already lower-case. Linear in both lengths: the
/// haystack is folded once (ASCII fast path, else Unicode lower-casing, as the needle was) and
/// searched with `memchr::memmem` (comparing at every offset was quadratic: a 16 KiB needle over
/// a 200 KB Subject took seconds).
fn contains_ci(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if needle.len() > hay.len() && hay.is_ascii() {
        return false;
    }
    let folded: std::borrow::Cow<'_, [u8]> = if hay.is_ascii() {
        if hay.bytes().any(|b| b.is_ascii_uppercase()) {
            hay.as_bytes().to_ascii_lowercase().into()
        } else {
            hay.as_bytes().into()
        }
    } else {
        hay.to_lowercase().into_bytes().into()
    };
    memchr::memmem::find(&folded, needle.as_bytes()).is_some()
}

/// Substring of an already lower-cased text (the body text).
fn contains_folded(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// Whether a top-level field named `name` (lower-case) contains `needle`.
fn header_has(meta: &MessageMeta, name: &str, needle: &str) -> bool {
    meta.headers
        .iter()
        .any(|h| h.name == name && contains_ci(&h.value, needle))
}

/// Like [`header_has`] for an address field. Comments (RFC 5322 §3.2.2) are not searched when
/// the field uses `Name <addr>` form, so `FROM com` does not match `Name <a@b.org> (Comment)`;
/// in the legacy `a@b.org (Full Name)` form the comment is the only name and stays searchable.
/// Both match Dovecot's answers on the corpus.
fn address_has(meta: &MessageMeta, name: &str, needle: &str) -> bool {
    meta.headers.iter().any(|h| {
        h.name == name
            && if h.value.contains('<') {
                contains_ci(&strip_comments(&h.value), needle)
            } else {
                contains_ci(&h.value, needle)
            }
    })
}

/// `value` without parenthesised comments (nested, with quoted-pairs); quoted strings are kept.
fn strip_comments(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains('(') {
        return value.into();
    }
    let mut out = String::with_capacity(value.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.into()
}

/// The date the Date header states (see [`super::date`] for the fallback).
fn sent_date(meta: &MessageMeta) -> Date {
    meta.headers
        .iter()
        .find(|h| h.name == "date")
        .and_then(|h| parse_header_date(&h.value))
        .or_else(|| meta.sent_date.map(|t| Date::from_unix(t, 0)))
        // No usable Date header: the epoch, as Dovecot answers (so SENTBEFORE matches it and
        // SENTSINCE does not).
        .unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
}

fn with_meta(f: &Facts<'_>, test: impl FnOnce(&MessageMeta) -> bool) -> Option<bool> {
    f.meta.map(test)
}

/// Evaluates a compiled key.
pub fn eval(key: &Query, f: &Facts<'_>) -> Option<bool> {
    use Query as K;
    let s = f.summary;
    let sys = |bit| s.flags.system.has(bit);
    let internal = || Date::from_unix(s.internal_date, s.internal_tz_minutes);
    Some(match key {
        K::All => true,
        K::Answered => sys(SystemFlags::ANSWERED),
        K::Deleted => sys(SystemFlags::DELETED),
        K::Draft => sys(SystemFlags::DRAFT),
        K::Flagged => sys(SystemFlags::FLAGGED),
        K::Seen => sys(SystemFlags::SEEN),
        K::Unanswered => !sys(SystemFlags::ANSWERED),
        K::Undeleted => !sys(SystemFlags::DELETED),
        K::Undraft => !sys(SystemFlags::DRAFT),
        K::Unflagged => !sys(SystemFlags::FLAGGED),
        K::Unseen => !sys(SystemFlags::SEEN),
        K::Recent => f.recent,
        K::New => f.recent && !sys(SystemFlags::SEEN),
        K::Old => !f.recent,
        K::Keyword(k) => s.flags.keywords.iter().any(|x| x.eq_ignore_ascii_case(k)),
        K::Unkeyword(k) => !s.flags.keywords.iter().any(|x| x.eq_ignore_ascii_case(k)),
        K::Larger(n) => s.size > *n,
        K::Smaller(n) => s.size < *n,
        K::Before(d) => internal() < *d,
        K::On(d) => internal() == *d,
        K::Since(d) => internal() >= *d,
        // RFC 5032: OLDER n is an age above n seconds, YOUNGER n within n seconds.
        K::Older(n) => {
            f.now.saturating_sub(s.internal_date) > i64::try_from(*n).unwrap_or(i64::MAX)
        }
        K::Younger(n) => {
            f.now.saturating_sub(s.internal_date) <= i64::try_from(*n).unwrap_or(i64::MAX)
        }
        // RFC 7162 §3.1.5: the message's modseq is at least the given one.
        K::ModSeq(m) => s.modseq.0 >= *m,
        K::UidIn(uids) => uids.binary_search(&s.uid).is_ok(),
        K::Uid(set) => set.contains(s.uid.0, f.largest_uid.0),
        K::Seq(set) => set.contains(f.seq, f.largest_seq),
        K::Bcc(n) => return with_meta(f, |m| address_has(m, "bcc", n)),
        K::Cc(n) => return with_meta(f, |m| address_has(m, "cc", n)),
        K::From(n) => return with_meta(f, |m| address_has(m, "from", n)),
        K::To(n) => return with_meta(f, |m| address_has(m, "to", n)),
        K::Subject(n) => return with_meta(f, |m| header_has(m, "subject", n)),
        // RFC 3501 §6.4.4: an empty string matches every message that has the field.
        K::Header(name, n) => return with_meta(f, |m| header_has(m, name, n)),
        K::SentBefore(d) => return with_meta(f, |m| sent_date(m) < *d),
        K::SentOn(d) => return with_meta(f, |m| sent_date(m) == *d),
        K::SentSince(d) => return with_meta(f, |m| sent_date(m) >= *d),
        K::Body(n) => return f.text.map(|t| contains_folded(t, n)),
        K::Text(n) => {
            let meta = f.meta?;
            let in_header = meta
                .headers
                .iter()
                .any(|h| contains_ci(&h.name, n) || contains_ci(&h.value, n));
            if in_header {
                return Some(true);
            }
            return f.text.map(|t| contains_folded(t, n));
        }
        K::Not(k) => return eval(k, f).map(|b| !b),
        K::Or(a, b) => {
            return match (eval(a, f), eval(b, f)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            };
        }
        K::And(keys) => {
            let mut unknown = false;
            for k in keys {
                match eval(k, f) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            return if unknown { None } else { Some(true) };
        }
    })
}

#[cfg(test)]
mod tests {
    use super::strip_comments;

    #[test]
    fn comments_are_stripped() {
        let table = [
            ("a@b.org (Comment)", "a@b.org "),
            (
                "\"Last (not a comment)\" <a@b>",
                "\"Last (not a comment)\" <a@b>",
            ),
            ("x (a (nested) \\) c) y", "x  y"),
            ("plain", "plain"),
            ("\"q \\\" (still quoted)\" z", "\"q \\\" (still quoted)\" z"),
        ];
        for (input, want) in table {
            assert_eq!(strip_comments(input), want, "{input}");
        }
    }
}
