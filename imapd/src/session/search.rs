//! SEARCH evaluation over per-message facts (RFC 3501 §6.4.4, RFC 5032 WITHIN, RFC 7162
//! MODSEQ, RFC 5182 `$`) and ESEARCH result building (RFC 4731).
//!
//! Pure logic: the driver supplies each message's facts (flags, dates, size, decoded headers)
//! and a body/text matcher backed by the store, plus "now" for OLDER/YOUNGER; nothing here reads
//! a clock or the store. String keys match case-insensitively as substrings (RFC 3501 §6.4.4).

use crate::proto::command::{SearchKey, SearchReturn};
use crate::proto::datetime::Date;
use crate::proto::response::Esearch;
use crate::proto::seqset::{self, SequenceSet};
use eider_common::model::{Flags, HeaderField, SystemFlags};
use eider_common::types::UnixTime;

/// What SEARCH needs to know about one message.
pub trait SearchFacts {
    fn msn(&self) -> u32;
    fn uid(&self) -> u32;
    fn flags(&self) -> &Flags;
    fn recent(&self) -> bool;
    fn internal_date(&self) -> UnixTime;
    /// Minutes east of UTC the internal date is shown in (its calendar day depends on it).
    fn internal_tz_minutes(&self) -> i16;
    /// The Date header, if it parsed.
    fn sent_date(&self) -> Option<UnixTime>;
    fn size(&self) -> u64;
    fn modseq(&self) -> u64;
    /// Top-level header fields, names lower-cased, values decoded.
    fn headers(&self) -> &[HeaderField];
    /// Whether the body text contains `needle` (already lower-cased), case-insensitively.
    fn body_contains(&self, needle: &str) -> bool;
}

/// Mailbox-wide inputs.
#[derive(Clone, Copy, Debug)]
pub struct SearchContext<'a> {
    /// Messages in the view (for `*` in sequence sets).
    pub max_msn: u32,
    /// Highest UID in the view (for `*` in UID sets).
    pub max_uid: u32,
    /// The current time, for OLDER / YOUNGER.
    pub now: UnixTime,
    /// The SEARCHRES result, as UIDs.
    pub saved: &'a [u32],
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_lowercase()
}

fn header_contains(m: &impl SearchFacts, name: &str, needle: &str) -> bool {
    m.headers()
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .any(|h| needle.is_empty() || h.value.to_lowercase().contains(needle))
}

fn has_keyword(flags: &Flags, k: &str) -> bool {
    flags.keywords.iter().any(|x| x.eq_ignore_ascii_case(k))
}

fn in_set(set: &SequenceSet, n: u32, max: u32, saved_uid: Option<u32>, saved: &[u32]) -> bool {
    match set {
        SequenceSet::Saved => saved_uid.is_some_and(|u| saved.contains(&u)),
        _ => set.contains(n, max),
    }
}

/// Whether message `m` matches all of `keys`.
pub fn matches_all(keys: &[SearchKey], m: &impl SearchFacts, ctx: &SearchContext<'_>) -> bool {
    keys.iter().all(|k| matches(k, m, ctx))
}

/// Whether message `m` matches `key`.
pub fn matches(key: &SearchKey, m: &impl SearchFacts, ctx: &SearchContext<'_>) -> bool {
    use SearchKey as K;
    let sys = |bit| m.flags().system.has(bit);
    let internal_day = || Date::from_unix(m.internal_date(), m.internal_tz_minutes());
    let sent_day = || m.sent_date().map(|t| Date::from_unix(t, 0));
    match key {
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
        K::Recent => m.recent(),
        K::New => m.recent() && !sys(SystemFlags::SEEN),
        K::Old => !m.recent(),
        K::Keyword(k) => has_keyword(m.flags(), k),
        K::Unkeyword(k) => !has_keyword(m.flags(), k),
        K::Bcc(s) => header_contains(m, "bcc", &text(s)),
        K::Cc(s) => header_contains(m, "cc", &text(s)),
        K::From(s) => header_contains(m, "from", &text(s)),
        K::To(s) => header_contains(m, "to", &text(s)),
        K::Subject(s) => header_contains(m, "subject", &text(s)),
        // RFC 3501: HEADER with an empty string matches every message with that field.
        K::Header(name, s) => header_contains(m, &String::from_utf8_lossy(name), &text(s)),
        K::Body(s) => m.body_contains(&text(s)),
        K::Text(s) => {
            let needle = text(s);
            m.headers()
                .iter()
                .any(|h| h.value.to_lowercase().contains(&needle))
                || m.body_contains(&needle)
        }
        K::Before(d) => internal_day() < *d,
        K::On(d) => internal_day() == *d,
        K::Since(d) => internal_day() >= *d,
        K::SentBefore(d) => sent_day().is_some_and(|s| s < *d),
        K::SentOn(d) => sent_day().is_some_and(|s| s == *d),
        K::SentSince(d) => sent_day().is_some_and(|s| s >= *d),
        K::Larger(n) => m.size() > *n,
        K::Smaller(n) => m.size() < *n,
        K::Older(secs) => m.internal_date() <= ctx.now - i64::from(*secs),
        K::Younger(secs) => m.internal_date() >= ctx.now - i64::from(*secs),
        K::ModSeq(n) => m.modseq() >= *n,
        K::Uid(set) => in_set(set, m.uid(), ctx.max_uid, Some(m.uid()), ctx.saved),
        K::Seq(set) => in_set(set, m.msn(), ctx.max_msn, Some(m.uid()), ctx.saved),
        K::Not(k) => !matches(k, m, ctx),
        K::Or(a, b) => matches(a, m, ctx) || matches(b, m, ctx),
        K::And(ks) => matches_all(ks, m, ctx),
    }
}

/// The ESEARCH response for ascending `hits` (UIDs for UID SEARCH, else sequence numbers);
/// `modseq` is the highest modseq among the hits when the search used MODSEQ.
pub fn esearch(
    tag: &str,
    uid: bool,
    returns: &[SearchReturn],
    hits: &[u32],
    modseq: Option<u64>,
) -> Esearch {
    let mut e = Esearch {
        tag: Some(tag.to_owned()),
        uid,
        modseq,
        ..Esearch::default()
    };
    for r in returns {
        match r {
            SearchReturn::Min => e.min = hits.first().copied(),
            SearchReturn::Max => e.max = hits.last().copied(),
            SearchReturn::Count => e.count = Some(u32::try_from(hits.len()).unwrap_or(u32::MAX)),
            SearchReturn::All => e.all = Some(seqset::compact(hits.iter().copied())),
            // SAVE alone returns nothing (RFC 5182 §2.1).
            SearchReturn::Save => {}
        }
    }
    e
}

#[cfg(test)]
#[path = "search_tests.rs"]
mod tests;
