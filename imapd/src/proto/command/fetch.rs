//! FETCH / UID FETCH (RFC 3501 §6.4.5) with CHANGEDSINCE (RFC 7162 §3.1.4) and the MODSEQ item;
//! body section specifiers and their wire form (shared with the response encoder).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::seqset::SequenceSet;

/// The text part of a section spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionPart {
    Header,
    /// Field names as sent (compared case-insensitively).
    HeaderFields(Vec<String>),
    HeaderFieldsNot(Vec<String>),
    Text,
    /// Only after a part number.
    Mime,
}

/// A section: a part path (`1.2.3`, empty for the whole message) and an optional text spec.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Section {
    pub part: Vec<u32>,
    pub text: Option<SectionPart>,
}

impl Section {
    /// The section as written between the brackets: `1.2.HEADER.FIELDS (FROM TO)`.
    pub fn to_wire(&self) -> String {
        let mut s = self
            .part
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        if let Some(t) = &self.text {
            if !s.is_empty() {
                s.push('.');
            }
            match t {
                SectionPart::Header => s.push_str("HEADER"),
                SectionPart::Text => s.push_str("TEXT"),
                SectionPart::Mime => s.push_str("MIME"),
                SectionPart::HeaderFields(f) => {
                    s.push_str(&format!("HEADER.FIELDS ({})", field_list(f)))
                }
                SectionPart::HeaderFieldsNot(f) => {
                    s.push_str(&format!("HEADER.FIELDS.NOT ({})", field_list(f)))
                }
            }
        }
        s
    }
}

/// Header names as the response echoes them: upper-cased, as Dovecot (the reference server)
/// does; clients match them case-insensitively. Names that are not atoms stay quoted.
fn field_list(fields: &[String]) -> String {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        super::super::response::write::astring(&mut out, f.to_ascii_uppercase().as_bytes(), false);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One FETCH data item (macros are expanded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FetchAttr {
    Flags,
    InternalDate,
    Rfc822Size,
    Envelope,
    /// `BODY` without a section: the non-extensible BODYSTRUCTURE.
    Body,
    BodyStructure,
    Uid,
    ModSeq,
    /// `RFC822`: like `BODY[]`, sets `\Seen`.
    Rfc822,
    /// `RFC822.HEADER`: like `BODY.PEEK[HEADER]`.
    Rfc822Header,
    /// `RFC822.TEXT`: like `BODY[TEXT]`, sets `\Seen`.
    Rfc822Text,
    /// `BODY[section]<origin.count>` or `BODY.PEEK[...]`.
    BodySection {
        section: Section,
        partial: Option<(u32, u32)>,
        peek: bool,
    },
    /// `BINARY[part]<origin.count>` or `BINARY.PEEK[...]` (RFC 3516): the decoded part.
    Binary {
        part: Vec<u32>,
        partial: Option<(u32, u32)>,
        peek: bool,
    },
    /// `BINARY.SIZE[part]` (RFC 3516).
    BinarySize(Vec<u32>),
}

impl FetchAttr {
    /// Whether fetching this item sets `\Seen` (RFC 3501 §6.4.5).
    pub fn sets_seen(&self) -> bool {
        matches!(
            self,
            FetchAttr::Rfc822
                | FetchAttr::Rfc822Text
                | FetchAttr::BodySection { peek: false, .. }
                | FetchAttr::Binary { peek: false, .. }
        )
    }
}

/// FETCH arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetch {
    pub uid: bool,
    pub set: SequenceSet,
    pub attrs: Vec<FetchAttr>,
    /// `(CHANGEDSINCE n)`: only messages with a greater modseq; implies MODSEQ.
    pub changed_since: Option<u64>,
}

pub(super) fn parse_fetch(c: &mut Cursor<'_>, uid: bool) -> PResult<Fetch> {
    c.sp()?;
    let set = SequenceSet::parse(c)?;
    c.sp()?;
    let mut attrs = Vec::new();
    if c.peek() == Some(b'(') {
        for group in c.paren_list(false, |c| attr(c, false))? {
            attrs.extend(group);
        }
    } else {
        attrs = attr(c, true)?;
    }
    let mut changed_since = None;
    if c.peek() == Some(b' ') && c.rest().get(1) == Some(&b'(') {
        c.sp()?;
        for m in c.paren_list(false, |c| {
            if !c.keyword("CHANGEDSINCE") {
                return Err(SyntaxError("unknown FETCH modifier"));
            }
            c.sp()?;
            c.number64()
        })? {
            changed_since = Some(m);
        }
        if !attrs.contains(&FetchAttr::ModSeq) {
            // RFC 7162 §3.1.4.1: CHANGEDSINCE implies MODSEQ.
            attrs.push(FetchAttr::ModSeq);
        }
    }
    if uid && !attrs.contains(&FetchAttr::Uid) {
        // RFC 3501 §6.4.8: UID FETCH always reports UID.
        attrs.insert(0, FetchAttr::Uid);
    }
    Ok(Fetch {
        uid,
        set,
        attrs,
        changed_since,
    })
}

/// One item; macros (only allowed outside parentheses) expand to several.
fn attr(c: &mut Cursor<'_>, macros: bool) -> PResult<Vec<FetchAttr>> {
    use FetchAttr as A;
    if c.prefix("BODY.PEEK[") {
        return Ok(vec![body_section(c, true)?]);
    }
    if c.prefix("BODY[") {
        return Ok(vec![body_section(c, false)?]);
    }
    if c.prefix("BINARY.SIZE[") {
        return Ok(vec![A::BinarySize(binary_part(c)?)]);
    }
    for (prefix, peek) in [("BINARY.PEEK[", true), ("BINARY[", false)] {
        if c.prefix(prefix) {
            let part = binary_part(c)?;
            let partial = partial(c)?;
            return Ok(vec![A::Binary {
                part,
                partial,
                peek,
            }]);
        }
    }
    let word = c.atom_upper()?;
    let fast = [A::Flags, A::InternalDate, A::Rfc822Size];
    Ok(match word.as_str() {
        "ALL" if macros => [&fast[..], &[A::Envelope]].concat(),
        "FAST" if macros => fast.to_vec(),
        "FULL" if macros => [&fast[..], &[A::Envelope, A::Body]].concat(),
        "FLAGS" => vec![A::Flags],
        "INTERNALDATE" => vec![A::InternalDate],
        "RFC822.SIZE" => vec![A::Rfc822Size],
        "ENVELOPE" => vec![A::Envelope],
        "BODY" => vec![A::Body],
        "BODYSTRUCTURE" => vec![A::BodyStructure],
        "UID" => vec![A::Uid],
        "MODSEQ" => vec![A::ModSeq],
        "RFC822" => vec![A::Rfc822],
        "RFC822.HEADER" => vec![A::Rfc822Header],
        "RFC822.TEXT" => vec![A::Rfc822Text],
        _ => return Err(SyntaxError("unknown FETCH item")),
    })
}

/// After `BODY[` / `BODY.PEEK[`: `section-spec ] [<origin.count>]`.
fn body_section(c: &mut Cursor<'_>, peek: bool) -> PResult<FetchAttr> {
    let section = section(c)?;
    c.expect(b']', "expected ]")?;
    let partial = partial(c)?;
    Ok(FetchAttr::BodySection {
        section,
        partial,
        peek,
    })
}

/// `[<origin.count>]`.
fn partial(c: &mut Cursor<'_>) -> PResult<Option<(u32, u32)>> {
    if !c.eat(b'<') {
        return Ok(None);
    }
    let origin = c.number()?;
    c.expect(b'.', "expected . in partial")?;
    let count = c.nz_number()?;
    c.expect(b'>', "expected >")?;
    Ok(Some((origin, count)))
}

/// After `BINARY[`: `[section-part] ]` (RFC 3516 §4.1: part numbers only).
fn binary_part(c: &mut Cursor<'_>) -> PResult<Vec<u32>> {
    let mut part = Vec::new();
    if !c.eat(b']') {
        loop {
            part.push(c.nz_number()?);
            if c.eat(b']') {
                break;
            }
            c.expect(b'.', "expected . or ]")?;
        }
    }
    Ok(part)
}

fn section(c: &mut Cursor<'_>) -> PResult<Section> {
    let mut s = Section::default();
    if c.peek() == Some(b']') {
        return Ok(s);
    }
    while c.peek().is_some_and(|b| b.is_ascii_digit()) {
        s.part.push(c.nz_number()?);
        if !c.eat(b'.') {
            return Ok(s);
        }
    }
    s.text = Some(if c.keyword("HEADER.FIELDS.NOT") {
        SectionPart::HeaderFieldsNot(header_list(c)?)
    } else if c.keyword("HEADER.FIELDS") {
        SectionPart::HeaderFields(header_list(c)?)
    } else if c.keyword("HEADER") {
        SectionPart::Header
    } else if c.keyword("TEXT") {
        SectionPart::Text
    } else if !s.part.is_empty() && c.keyword("MIME") {
        SectionPart::Mime
    } else {
        return Err(SyntaxError("bad section"));
    });
    Ok(s)
}

fn header_list(c: &mut Cursor<'_>) -> PResult<Vec<String>> {
    c.sp()?;
    c.paren_list(false, |c| {
        String::from_utf8(c.astring()?).map_err(|_| SyntaxError("header name not UTF-8"))
    })
}
