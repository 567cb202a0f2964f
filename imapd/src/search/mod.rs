//! The SEARCH engine: RFC 3501 §6.4.4 keys plus MODSEQ (RFC 7162) and OLDER/YOUNGER (RFC 5032),
//! evaluated against stored messages, with ESEARCH result options (RFC 4731).
//!
//! - [`compile`]: the parsed keys ([`crate::proto::command::SearchKey`]) become a [`Query`]:
//!   strings decoded from the command's charset and lower-cased once, `$` (RFC 5182) replaced by
//!   the saved UIDs, a key list turned into one AND.
//! - [`eval`]: three-valued evaluation of one message from the facts loaded so far.
//! - [`run`]: the async driver. It loads the summaries of the whole mailbox once, decides every
//!   key it can from them, loads full records (in bounded UID batches) only for messages still
//!   undecided when a header/date key needs them, and reads text blobs only for messages still
//!   undecided after that.
//! - [`result`]: ascending sequence numbers or UIDs, and `RETURN (MIN MAX COUNT ALL)`.
//!
//! Bounds (docs/security.md, "Limits and defenses"): a search string is at most
//! [`MAX_STRING_BYTES`] (longer: [`SearchError::TooLong`], answered `NO [LIMIT]`); string
//! matching is linear (`memchr::memmem` over the once-folded haystack); evaluation runs off the
//! async workers (`run::off_worker`); a search that runs past [`TIME_BUDGET`] stops with
//! [`SearchError::TimeLimit`] (`NO [LIMIT]`).
//!
//! Semantics chosen where the RFC leaves room: header keys match the decoded values of the
//! top-level header fields (any field, BCC included); BODY matches the UTF-8 text of the text
//! parts (`meta.text_blob`; a message without one has no body text); TEXT matches header names
//! and values or the body; dates are compared as described in [`date`].

pub mod compile;
pub mod date;
pub mod eval;
pub mod result;
pub mod run;
pub mod seqset;

pub use compile::{CompileError, compile};
pub use result::{SearchOutcome, esearch, search_data};
pub use run::{SearchError, search, search_within};
pub use seqset::compact;

use crate::proto::SequenceSet;
use std::time::Duration;

/// Longest search string accepted, in bytes (after charset decoding and lower-casing).
pub const MAX_STRING_BYTES: usize = 1024;

/// Longest a single SEARCH may run before it is answered `NO [LIMIT]`.
pub const TIME_BUDGET: Duration = Duration::from_secs(10);
use crate::proto::datetime::Date;
use eider_model::types::Uid;

/// A compiled search key: needles are lower-cased UTF-8.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    All,
    Answered,
    Deleted,
    Draft,
    Flagged,
    New,
    Old,
    Recent,
    Seen,
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unseen,
    Keyword(String),
    Unkeyword(String),
    Bcc(String),
    Cc(String),
    From(String),
    To(String),
    Subject(String),
    /// `HEADER field-name string`; the name is lower-cased ASCII.
    Header(String, String),
    Body(String),
    Text(String),
    Before(Date),
    On(Date),
    Since(Date),
    SentBefore(Date),
    SentOn(Date),
    SentSince(Date),
    /// Size strictly above.
    Larger(u64),
    /// Size strictly below.
    Smaller(u64),
    /// `UID sequence-set`.
    Uid(SequenceSet),
    /// A bare sequence set (message sequence numbers).
    Seq(SequenceSet),
    /// An explicit UID list, ascending (the saved result `$`).
    UidIn(Vec<Uid>),
    /// Modseq at least this (RFC 7162 §3.1.5; per-flag entry names are ignored).
    ModSeq(u64),
    /// RFC 5032 intervals in seconds.
    Older(u64),
    Younger(u64),
    Not(Box<Query>),
    Or(Box<Query>, Box<Query>),
    And(Vec<Query>),
}

impl Query {
    /// Whether the key (or a sub-key) is MODSEQ, in which case the SEARCH response carries the
    /// highest modseq of the matches (RFC 7162 §3.1.5).
    pub fn uses_modseq(&self) -> bool {
        match self {
            Query::ModSeq(_) => true,
            Query::Not(k) => k.uses_modseq(),
            Query::Or(a, b) => a.uses_modseq() || b.uses_modseq(),
            Query::And(v) => v.iter().any(Query::uses_modseq),
            _ => false,
        }
    }

    /// The length in bytes of the longest string (needle or keyword) in the key.
    pub fn longest_string(&self) -> usize {
        use Query as K;
        match self {
            K::Keyword(s)
            | K::Unkeyword(s)
            | K::Bcc(s)
            | K::Cc(s)
            | K::From(s)
            | K::To(s)
            | K::Subject(s)
            | K::Body(s)
            | K::Text(s) => s.len(),
            K::Header(n, s) => n.len().max(s.len()),
            K::Not(k) => k.longest_string(),
            K::Or(a, b) => a.longest_string().max(b.longest_string()),
            K::And(v) => v.iter().map(Query::longest_string).max().unwrap_or(0),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests;
