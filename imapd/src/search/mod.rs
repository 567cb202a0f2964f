//! The SEARCH engine: RFC 3501 §6.4.4 keys plus MODSEQ (RFC 7162) and OLDER/YOUNGER (RFC 5032),
//! evaluated against stored messages, with ESEARCH result options (RFC 4731).
//!
//! - [`SearchKey`]: the key tree (a small internal type the wire parser's keys convert into).
//! - [`eval`]: three-valued evaluation of one message from the facts loaded so far.
//! - [`run`]: the async driver. It loads the summaries of the whole mailbox once, decides every
//!   key it can from them, loads full records (in bounded UID batches) only for messages still
//!   undecided when a header/date key needs them, and reads text blobs only for messages still
//!   undecided after that.
//! - [`result`]: ascending sequence numbers or UIDs, and `RETURN (MIN MAX COUNT ALL)`.
//!
//! Semantics chosen where the RFC leaves room: header keys match the decoded values of the
//! top-level header fields (any field, BCC included); BODY matches the UTF-8 text of the text
//! parts (`meta.text_blob`; a message without one has no body text); TEXT matches header names
//! and values or the body; dates are compared as described in [`date`].

pub mod date;
pub mod eval;
pub mod result;
pub mod run;
pub mod seqset;

pub use date::Date;
pub use result::{Esearch, ReturnOptions, SearchOutcome};
pub use run::{SearchError, search};
pub use seqset::{SeqBound, SeqSet, compact};

use eider_common::types::ModSeq;

/// A search key. A list of keys on the wire (implicit AND) is [`SearchKey::And`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey {
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
    /// `HEADER field-name string`.
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
    Uid(SeqSet),
    /// A bare sequence set (message sequence numbers).
    Seq(SeqSet),
    /// `MODSEQ [entry-name entry-type-req] mod-sequence-valzer`; the entry name is ignored since
    /// modseqs are kept per message, not per flag.
    ModSeq(ModSeq),
    /// RFC 5032 intervals in seconds.
    Older(u64),
    Younger(u64),
    Not(Box<SearchKey>),
    Or(Box<SearchKey>, Box<SearchKey>),
    And(Vec<SearchKey>),
}

impl SearchKey {
    /// Whether the key (or a sub-key) is MODSEQ, in which case the SEARCH response carries the
    /// highest modseq of the matches (RFC 7162 §3.1.5).
    pub fn uses_modseq(&self) -> bool {
        match self {
            SearchKey::ModSeq(_) => true,
            SearchKey::Not(k) => k.uses_modseq(),
            SearchKey::Or(a, b) => a.uses_modseq() || b.uses_modseq(),
            SearchKey::And(v) => v.iter().any(SearchKey::uses_modseq),
            _ => false,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
