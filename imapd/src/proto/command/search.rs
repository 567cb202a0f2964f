//! SEARCH / UID SEARCH (RFC 3501 §6.4.4) with ESEARCH return options (RFC 4731), SEARCHRES `$`
//! and SAVE (RFC 5182), MODSEQ (RFC 7162 §3.1.5) and OLDER/YOUNGER (WITHIN, RFC 5032).
//!
//! Invariant: nesting depth of parenthesised/NOT/OR keys is bounded, so hostile input cannot
//! exhaust the stack.

use super::super::cursor::Cursor;
use super::super::datetime::{Date, parse_date};
use super::super::error::{PResult, SyntaxError};
use super::super::seqset::SequenceSet;

const MAX_DEPTH: usize = 32;

/// One search key; a list of keys means their conjunction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SearchKey {
    All,
    Answered,
    Bcc(Vec<u8>),
    Before(Date),
    Body(Vec<u8>),
    Cc(Vec<u8>),
    Deleted,
    Draft,
    Flagged,
    From(Vec<u8>),
    /// `HEADER field-name string`.
    Header(Vec<u8>, Vec<u8>),
    Keyword(String),
    Larger(u64),
    New,
    Not(Box<SearchKey>),
    Old,
    On(Date),
    Or(Box<SearchKey>, Box<SearchKey>),
    Recent,
    Seen,
    SentBefore(Date),
    SentOn(Date),
    SentSince(Date),
    Since(Date),
    Smaller(u64),
    Subject(Vec<u8>),
    Text(Vec<u8>),
    To(Vec<u8>),
    Uid(SequenceSet),
    Unanswered,
    Undeleted,
    Undraft,
    Unflagged,
    Unkeyword(String),
    Unseen,
    /// Message sequence numbers.
    Seq(SequenceSet),
    /// A parenthesised list of keys.
    And(Vec<SearchKey>),
    /// `MODSEQ [entry-name entry-type] n`: messages with modseq ≥ n. The entry is accepted and
    /// ignored, as RFC 7162 §3.1.5 allows for servers without per-flag modseqs.
    ModSeq(u64),
    /// `OLDER n`: internal date more than n seconds ago.
    Older(u32),
    /// `YOUNGER n`: internal date at most n seconds ago.
    Younger(u32),
}

impl SearchKey {
    /// Whether the key (or a key inside it) is MODSEQ: such a SEARCH enables CONDSTORE and its
    /// response carries the highest modseq (RFC 7162 §3.1.5).
    pub fn uses_modseq(&self) -> bool {
        match self {
            SearchKey::ModSeq(_) => true,
            SearchKey::Not(k) => k.uses_modseq(),
            SearchKey::Or(a, b) => a.uses_modseq() || b.uses_modseq(),
            SearchKey::And(ks) => ks.iter().any(SearchKey::uses_modseq),
            _ => false,
        }
    }
}

impl Search {
    /// Re-encodes every string argument from the declared CHARSET to UTF-8 (RFC 3501 §6.4.4),
    /// so matching only ever deals with UTF-8; afterwards `charset` is `UTF-8`. Returns `false`
    /// (and changes nothing) for a charset we do not know, which the session answers with
    /// `NO [BADCHARSET]`.
    pub fn to_utf8(&mut self) -> bool {
        let Some(label) = self.charset.as_deref() else {
            return true;
        };
        let Some(encoding) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
            return false;
        };
        if encoding != encoding_rs::UTF_8 {
            for key in &mut self.criteria {
                key.transcode(encoding);
            }
        }
        self.charset = Some("UTF-8".to_owned());
        true
    }
}

impl SearchKey {
    fn transcode(&mut self, encoding: &'static encoding_rs::Encoding) {
        let conv = |s: &mut Vec<u8>| {
            let (text, _, _) = encoding.decode(s);
            *s = text.into_owned().into_bytes();
        };
        match self {
            SearchKey::Bcc(s)
            | SearchKey::Body(s)
            | SearchKey::Cc(s)
            | SearchKey::From(s)
            | SearchKey::Subject(s)
            | SearchKey::Text(s)
            | SearchKey::To(s)
            | SearchKey::Header(_, s) => conv(s),
            SearchKey::Not(k) => k.transcode(encoding),
            SearchKey::Or(a, b) => {
                a.transcode(encoding);
                b.transcode(encoding);
            }
            SearchKey::And(ks) => ks.iter_mut().for_each(|k| k.transcode(encoding)),
            _ => {}
        }
    }
}

/// ESEARCH result options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchReturn {
    Min,
    Max,
    Count,
    All,
    Save,
}

/// SEARCH arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Search {
    pub uid: bool,
    /// `None`: a classic SEARCH answered with `* SEARCH`. `Some(opts)`: answer with ESEARCH;
    /// RFC 4731 §3.1: an empty `RETURN ()` means `ALL`.
    pub returns: Option<Vec<SearchReturn>>,
    /// Upper-cased charset, if given.
    pub charset: Option<String>,
    pub criteria: Vec<SearchKey>,
}

pub(super) fn parse_search(c: &mut Cursor<'_>, uid: bool) -> PResult<Search> {
    c.sp()?;
    let mut returns = None;
    if c.keyword("RETURN") {
        c.sp()?;
        let mut opts = c.paren_list(true, |c| {
            Ok(match c.atom_upper()?.as_str() {
                "MIN" => SearchReturn::Min,
                "MAX" => SearchReturn::Max,
                "COUNT" => SearchReturn::Count,
                "ALL" => SearchReturn::All,
                "SAVE" => SearchReturn::Save,
                _ => return Err(SyntaxError("unknown RETURN option")),
            })
        })?;
        if opts.is_empty() {
            opts.push(SearchReturn::All);
        }
        returns = Some(opts);
        c.sp()?;
    }
    let mut charset = None;
    if c.keyword("CHARSET") {
        c.sp()?;
        let cs = c.astring()?;
        charset = Some(String::from_utf8_lossy(&cs).to_ascii_uppercase());
        c.sp()?;
    }
    let mut criteria = vec![key(c, 0)?];
    while c.peek() == Some(b' ') {
        c.sp()?;
        if c.at_end() {
            break;
        }
        criteria.push(key(c, 0)?);
    }
    Ok(Search {
        uid,
        returns,
        charset,
        criteria,
    })
}

fn key(c: &mut Cursor<'_>, depth: usize) -> PResult<SearchKey> {
    if depth > MAX_DEPTH {
        return Err(SyntaxError("search keys nested too deeply"));
    }
    match c.peek() {
        Some(b'(') => return Ok(SearchKey::And(c.paren_list(false, |c| key(c, depth + 1))?)),
        Some(b'0'..=b'9' | b'*' | b'$') => return Ok(SearchKey::Seq(SequenceSet::parse(c)?)),
        _ => {}
    }
    use SearchKey as K;
    let word = c.atom_upper()?;
    Ok(match word.as_str() {
        "ALL" => K::All,
        "ANSWERED" => K::Answered,
        "DELETED" => K::Deleted,
        "DRAFT" => K::Draft,
        "FLAGGED" => K::Flagged,
        "NEW" => K::New,
        "OLD" => K::Old,
        "RECENT" => K::Recent,
        "SEEN" => K::Seen,
        "UNANSWERED" => K::Unanswered,
        "UNDELETED" => K::Undeleted,
        "UNDRAFT" => K::Undraft,
        "UNFLAGGED" => K::Unflagged,
        "UNSEEN" => K::Unseen,
        "BCC" => K::Bcc(arg_string(c)?),
        "BODY" => K::Body(arg_string(c)?),
        "CC" => K::Cc(arg_string(c)?),
        "FROM" => K::From(arg_string(c)?),
        "SUBJECT" => K::Subject(arg_string(c)?),
        "TEXT" => K::Text(arg_string(c)?),
        "TO" => K::To(arg_string(c)?),
        "HEADER" => {
            let name = arg_string(c)?;
            K::Header(name, arg_string(c)?)
        }
        "KEYWORD" => K::Keyword(arg_keyword(c)?),
        "UNKEYWORD" => K::Unkeyword(arg_keyword(c)?),
        "BEFORE" => K::Before(arg_date(c)?),
        "ON" => K::On(arg_date(c)?),
        "SINCE" => K::Since(arg_date(c)?),
        "SENTBEFORE" => K::SentBefore(arg_date(c)?),
        "SENTON" => K::SentOn(arg_date(c)?),
        "SENTSINCE" => K::SentSince(arg_date(c)?),
        "LARGER" => {
            c.sp()?;
            K::Larger(c.number64()?)
        }
        "SMALLER" => {
            c.sp()?;
            K::Smaller(c.number64()?)
        }
        "OLDER" => {
            c.sp()?;
            K::Older(c.nz_number()?)
        }
        "YOUNGER" => {
            c.sp()?;
            K::Younger(c.nz_number()?)
        }
        "UID" => {
            c.sp()?;
            K::Uid(SequenceSet::parse(c)?)
        }
        "NOT" => {
            c.sp()?;
            K::Not(Box::new(key(c, depth + 1)?))
        }
        "OR" => {
            c.sp()?;
            let a = key(c, depth + 1)?;
            c.sp()?;
            K::Or(Box::new(a), Box::new(key(c, depth + 1)?))
        }
        "MODSEQ" => {
            c.sp()?;
            if c.peek() == Some(b'"') {
                // entry-name SP entry-type-req
                c.quoted()?;
                c.sp()?;
                let t = c.atom_upper()?;
                if !matches!(t.as_str(), "PRIV" | "SHARED" | "ALL") {
                    return Err(SyntaxError("bad MODSEQ entry type"));
                }
                c.sp()?;
            }
            K::ModSeq(c.number64()?)
        }
        _ => return Err(SyntaxError("unknown search key")),
    })
}

fn arg_string(c: &mut Cursor<'_>) -> PResult<Vec<u8>> {
    c.sp()?;
    c.astring()
}

fn arg_keyword(c: &mut Cursor<'_>) -> PResult<String> {
    c.sp()?;
    Ok(String::from_utf8_lossy(c.atom()?).into_owned())
}

fn arg_date(c: &mut Cursor<'_>) -> PResult<Date> {
    c.sp()?;
    parse_date(c)
}
