//! Body section resolution (RFC 3501 §6.4.5): which bytes of a stored message a `BODY[...]`
//! section names, from the part tree alone, so a FETCH reads only those bytes.
//!
//! Invariants: ranges are byte offsets in the message as served and lie inside the part they
//! name; part numbering follows RFC 3501 §6.4.5 (a non-multipart message or encapsulated message
//! has a single part 1, which is its body; the parts of a `message/rfc822` part are those of the
//! message it encapsulates); a section that does not exist resolves to [`SectionData::Missing`].

use super::command::{Section, SectionPart};
use eider_common::model::Part;
use std::ops::Range;

/// What a section resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionData {
    /// These bytes, verbatim.
    Bytes(Range<u64>),
    /// Some fields of the header in `header` (RFC 3501 HEADER.FIELDS[.NOT]): read the range and
    /// pass it through [`filter_header`].
    HeaderFields {
        header: Range<u64>,
        fields: Vec<String>,
        not: bool,
    },
    /// No such part: answer with an empty string (as Dovecot does) or NIL.
    Missing,
}

/// Resolves `section` against the message whose root part is `root` and whose size is `size`.
pub fn locate(root: &Part, size: u64, section: &Section) -> SectionData {
    if section.part.is_empty() {
        return match &section.text {
            None => SectionData::Bytes(0..size),
            Some(text) => message_text(root, text),
        };
    }
    let Some(part) = find(root, &section.part) else {
        return SectionData::Missing;
    };
    match &section.text {
        None => SectionData::Bytes(part.body_start..part.body_end),
        Some(SectionPart::Mime) => SectionData::Bytes(part.header_start..part.body_start),
        // HEADER / TEXT after a part number only exist for an encapsulated message.
        Some(text) => match &part.message {
            Some(m) if is_message(part) => message_text(&m.root, text),
            _ => SectionData::Missing,
        },
    }
}

fn is_message(p: &Part) -> bool {
    p.media_type == "message" && matches!(p.media_subtype.as_str(), "rfc822" | "global")
}

/// HEADER / TEXT / HEADER.FIELDS of the message whose root part is `root`.
fn message_text(root: &Part, text: &SectionPart) -> SectionData {
    let header = root.header_start..root.body_start;
    match text {
        SectionPart::Header => SectionData::Bytes(header),
        SectionPart::Text => SectionData::Bytes(root.body_start..root.body_end),
        SectionPart::HeaderFields(f) => SectionData::HeaderFields {
            header,
            fields: f.clone(),
            not: false,
        },
        SectionPart::HeaderFieldsNot(f) => SectionData::HeaderFields {
            header,
            fields: f.clone(),
            not: true,
        },
        // MIME needs a part number; the parser never produces it without one.
        SectionPart::Mime => SectionData::Missing,
    }
}

/// The part named by `path` within the message whose root is `root`.
fn find<'a>(root: &'a Part, path: &[u32]) -> Option<&'a Part> {
    let mut ctx = root;
    for (i, &n) in path.iter().enumerate() {
        let idx = usize::try_from(n).ok()?.checked_sub(1)?;
        let part = if ctx.media_type == "multipart" {
            ctx.children.get(idx)?
        } else if idx == 0 {
            ctx
        } else {
            return None;
        };
        if i + 1 == path.len() {
            return Some(part);
        }
        ctx = match &part.message {
            Some(m) if is_message(part) => &m.root,
            _ if part.media_type == "multipart" => part,
            _ => return None,
        };
    }
    None
}

/// The header fields of `header` (a complete header block) whose names are (`not == false`) or
/// are not (`not == true`) in `fields`, compared case-insensitively, each with its continuation
/// lines, followed by the blank line that ends a header.
pub fn filter_header(header: &[u8], fields: &[String], not: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in header.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" || line == b"\n" {
            break;
        }
        if !matches!(line.first(), Some(b' ' | b'\t')) {
            let name = line.split(|&b| b == b':').next().unwrap_or(b"");
            let name = name.trim_ascii_end();
            let listed = fields
                .iter()
                .any(|f| f.as_bytes().eq_ignore_ascii_case(name));
            keep = listed != not;
        }
        if keep {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The sub-range a partial fetch `<origin.count>` selects from `len` bytes (RFC 3501 §6.4.5: an
/// origin past the end gives an empty string).
pub fn partial_range(len: u64, partial: Option<(u32, u32)>) -> Range<u64> {
    match partial {
        None => 0..len,
        Some((origin, count)) => {
            let start = u64::from(origin).min(len);
            start..(start + u64::from(count)).min(len)
        }
    }
}

#[cfg(test)]
#[path = "section_tests.rs"]
mod tests;
