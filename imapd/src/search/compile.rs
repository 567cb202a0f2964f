//! Turns parsed search keys into a [`Query`]: charset decoding, lower-casing, `$` substitution.
//!
//! RFC 3501 §6.4.4: a server must support US-ASCII and UTF-8 for `CHARSET` and answer
//! `NO [BADCHARSET]` for others; strings are then compared case-insensitively. Bytes that are not
//! valid UTF-8 are decoded lossily (they can then only match the same replacement characters).

use super::Query;
use crate::proto::SequenceSet;
use crate::proto::command::SearchKey;
use eider_model::types::Uid;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CompileError {
    /// Answer `NO [BADCHARSET (UTF-8 US-ASCII)]`.
    #[error("unsupported charset {0}")]
    BadCharset(String),
}

/// Compiles `criteria` (an implicit AND). `charset` is the `CHARSET` argument if any; `saved` is
/// the session's saved result (RFC 5182), as UIDs, `None` when nothing was saved (`$` is then
/// empty).
pub fn compile(
    criteria: &[SearchKey],
    charset: Option<&str>,
    saved: Option<&[Uid]>,
) -> Result<Query, CompileError> {
    if let Some(cs) = charset
        && !["UTF-8", "US-ASCII", "UTF8"]
            .iter()
            .any(|c| c.eq_ignore_ascii_case(cs))
    {
        return Err(CompileError::BadCharset(cs.to_owned()));
    }
    let mut saved: Vec<Uid> = saved.unwrap_or_default().to_vec();
    saved.sort_unstable();
    saved.dedup();
    let c = Compiler { saved };
    Ok(match criteria {
        [one] => c.key(one),
        many => Query::And(many.iter().map(|k| c.key(k)).collect()),
    })
}

struct Compiler {
    saved: Vec<Uid>,
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_lowercase()
}

impl Compiler {
    fn set(&self, s: &SequenceSet, uid: bool) -> Query {
        match s {
            SequenceSet::Saved => Query::UidIn(self.saved.clone()),
            set if uid => Query::Uid(set.clone()),
            set => Query::Seq(set.clone()),
        }
    }

    fn key(&self, k: &SearchKey) -> Query {
        use Query as Q;
        use SearchKey as K;
        match k {
            K::All => Q::All,
            K::Answered => Q::Answered,
            K::Deleted => Q::Deleted,
            K::Draft => Q::Draft,
            K::Flagged => Q::Flagged,
            K::New => Q::New,
            K::Old => Q::Old,
            K::Recent => Q::Recent,
            K::Seen => Q::Seen,
            K::Unanswered => Q::Unanswered,
            K::Undeleted => Q::Undeleted,
            K::Undraft => Q::Undraft,
            K::Unflagged => Q::Unflagged,
            K::Unseen => Q::Unseen,
            K::Keyword(s) => Q::Keyword(s.clone()),
            K::Unkeyword(s) => Q::Unkeyword(s.clone()),
            K::Bcc(s) => Q::Bcc(text(s)),
            K::Cc(s) => Q::Cc(text(s)),
            K::From(s) => Q::From(text(s)),
            K::To(s) => Q::To(text(s)),
            K::Subject(s) => Q::Subject(text(s)),
            K::Header(n, s) => Q::Header(String::from_utf8_lossy(n).to_ascii_lowercase(), text(s)),
            K::Body(s) => Q::Body(text(s)),
            K::Text(s) => Q::Text(text(s)),
            K::Before(d) => Q::Before(*d),
            K::On(d) => Q::On(*d),
            K::Since(d) => Q::Since(*d),
            K::SentBefore(d) => Q::SentBefore(*d),
            K::SentOn(d) => Q::SentOn(*d),
            K::SentSince(d) => Q::SentSince(*d),
            K::Larger(n) => Q::Larger(*n),
            K::Smaller(n) => Q::Smaller(*n),
            K::Uid(s) => self.set(s, true),
            K::Seq(s) => self.set(s, false),
            K::ModSeq(m) => Q::ModSeq(*m),
            K::Older(n) => Q::Older(u64::from(*n)),
            K::Younger(n) => Q::Younger(u64::from(*n)),
            K::Not(k) => Q::Not(Box::new(self.key(k))),
            K::Or(a, b) => Q::Or(Box::new(self.key(a)), Box::new(self.key(b))),
            K::And(v) => Q::And(v.iter().map(|k| self.key(k)).collect()),
        }
    }
}
