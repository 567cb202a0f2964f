//! Message flags on the wire (RFC 3501 §2.3.2) and their mapping to the stored model.
//!
//! Invariant: system flags are recognised case-insensitively; keywords keep the client's spelling.

use super::cursor::Cursor;
use super::error::{PResult, SyntaxError};
use eider_model::{Flags, SystemFlags};

/// One flag as a client sent it or the server reports it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    Seen,
    Answered,
    Flagged,
    Deleted,
    Draft,
    /// `\Recent`: per session, never stored, not settable by STORE.
    Recent,
    /// `\*` in PERMANENTFLAGS: clients may create keywords.
    MayCreate,
    /// Another `\Word` (flag-extension), which we never store.
    Extension(String),
    Keyword(String),
}

impl Flag {
    /// Parses `flag` (with `\*` if `allow_star`, for PERMANENTFLAGS-shaped lists).
    pub fn parse(c: &mut Cursor<'_>) -> PResult<Self> {
        if c.eat(b'\\') {
            if c.eat(b'*') {
                return Ok(Flag::MayCreate);
            }
            let a = c.atom()?;
            let s = String::from_utf8_lossy(a).into_owned();
            return Ok(match s.to_ascii_lowercase().as_str() {
                "seen" => Flag::Seen,
                "answered" => Flag::Answered,
                "flagged" => Flag::Flagged,
                "deleted" => Flag::Deleted,
                "draft" => Flag::Draft,
                "recent" => Flag::Recent,
                _ => Flag::Extension(s),
            });
        }
        let a = c.atom()?;
        let s = std::str::from_utf8(a).map_err(|_| SyntaxError("keyword not UTF-8"))?;
        Ok(Flag::Keyword(s.to_owned()))
    }

    /// flag-list: `(` [flag *(SP flag)] `)`.
    pub fn parse_list(c: &mut Cursor<'_>) -> PResult<Vec<Self>> {
        c.paren_list(true, Flag::parse)
    }

    /// The wire spelling.
    pub fn as_wire(&self) -> String {
        match self {
            Flag::Seen => "\\Seen".into(),
            Flag::Answered => "\\Answered".into(),
            Flag::Flagged => "\\Flagged".into(),
            Flag::Deleted => "\\Deleted".into(),
            Flag::Draft => "\\Draft".into(),
            Flag::Recent => "\\Recent".into(),
            Flag::MayCreate => "\\*".into(),
            Flag::Extension(s) => format!("\\{s}"),
            Flag::Keyword(s) => s.clone(),
        }
    }

    fn system_bit(&self) -> Option<u8> {
        Some(match self {
            Flag::Seen => SystemFlags::SEEN,
            Flag::Answered => SystemFlags::ANSWERED,
            Flag::Flagged => SystemFlags::FLAGGED,
            Flag::Deleted => SystemFlags::DELETED,
            Flag::Draft => SystemFlags::DRAFT,
            _ => return None,
        })
    }
}

/// The storable part of a flag list: system flags and keywords; `\Recent`, `\*` and unknown
/// `\Extension` flags are dropped (RFC 3501 §6.4.6: `\Recent` cannot be stored).
pub fn to_model(flags: &[Flag]) -> Flags {
    let mut out = Flags::default();
    for f in flags {
        if let Some(bit) = f.system_bit() {
            out.system.0 |= bit;
        } else if let Flag::Keyword(k) = f {
            // Keywords compare case-insensitively; keep the first spelling seen.
            if !out.keywords.iter().any(|x| x.eq_ignore_ascii_case(k)) {
                out.keywords.insert(k.clone());
            }
        }
    }
    out
}

/// The wire flags of a stored flag set, system flags first, plus `\Recent` when `recent`.
pub fn from_model(flags: &Flags, recent: bool) -> Vec<Flag> {
    let mut out = Vec::new();
    for (bit, f) in [
        (SystemFlags::SEEN, Flag::Seen),
        (SystemFlags::ANSWERED, Flag::Answered),
        (SystemFlags::FLAGGED, Flag::Flagged),
        (SystemFlags::DELETED, Flag::Deleted),
        (SystemFlags::DRAFT, Flag::Draft),
    ] {
        if flags.system.has(bit) {
            out.push(f);
        }
    }
    if recent {
        out.push(Flag::Recent);
    }
    out.extend(flags.keywords.iter().cloned().map(Flag::Keyword));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_roundtrip() {
        let mut c = Cursor::new(b"(\\seen \\DELETED $Forwarded \\X-Custom)");
        let flags = Flag::parse_list(&mut c).unwrap();
        assert_eq!(
            flags,
            vec![
                Flag::Seen,
                Flag::Deleted,
                Flag::Keyword("$Forwarded".into()),
                Flag::Extension("X-Custom".into())
            ]
        );
        let m = to_model(&flags);
        assert!(m.seen() && m.deleted());
        assert_eq!(m.keywords.len(), 1);
        let back: Vec<String> = from_model(&m, true).iter().map(Flag::as_wire).collect();
        assert_eq!(back, ["\\Seen", "\\Deleted", "\\Recent", "$Forwarded"]);
        assert_eq!(Flag::parse_list(&mut Cursor::new(b"()")).unwrap(), vec![]);
        assert!(Flag::parse_list(&mut Cursor::new(b"(\\Seen")).is_err());
    }
}
