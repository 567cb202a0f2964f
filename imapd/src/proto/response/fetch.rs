//! FETCH response writing (RFC 3501 §7.4.2), piece by piece so body sections can be streamed:
//! the writer emits `BODY[1.2]<0> {n}\r\n` and the caller writes the n bytes itself.
//!
//! Invariant: items are separated by exactly one space and the response is closed by `end`; a
//! caller that announces a streamed section must write exactly the announced number of bytes
//! before the next item or `end`.

use super::super::command::Section;
use super::super::datetime::DateTime;
use super::super::flag::Flag;
use super::{EncodeOptions, body, code, write};
use eider_model::{Envelope, Part};

/// Which body data item a section response answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SectionName {
    /// `BODY[section]<origin>` (RFC 3501 §7.4.2: only the origin of a partial is echoed).
    Body {
        section: Section,
        origin: Option<u32>,
    },
    Rfc822,
    Rfc822Header,
    Rfc822Text,
    /// `BINARY[part]<origin>` (RFC 3516); its data goes as literal8 when it holds NUL.
    Binary {
        part: Vec<u32>,
        origin: Option<u32>,
    },
}

fn part_path(part: &[u32]) -> String {
    part.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

impl SectionName {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            SectionName::Body { section, origin } => {
                out.extend_from_slice(b"BODY[");
                out.extend_from_slice(section.to_wire().as_bytes());
                out.push(b']');
                if let Some(o) = origin {
                    out.extend_from_slice(format!("<{o}>").as_bytes());
                }
            }
            SectionName::Binary { part, origin } => {
                out.extend_from_slice(format!("BINARY[{}]", part_path(part)).as_bytes());
                if let Some(o) = origin {
                    out.extend_from_slice(format!("<{o}>").as_bytes());
                }
            }
            SectionName::Rfc822 => out.extend_from_slice(b"RFC822"),
            SectionName::Rfc822Header => out.extend_from_slice(b"RFC822.HEADER"),
            SectionName::Rfc822Text => out.extend_from_slice(b"RFC822.TEXT"),
        }
    }
}

/// One FETCH data item whose value is small enough to build in memory.
#[derive(Clone, Debug)]
pub enum FetchItem<'a> {
    Uid(u32),
    Flags(&'a [Flag]),
    InternalDate(DateTime),
    Rfc822Size(u64),
    ModSeq(u64),
    Envelope(&'a Envelope),
    /// `BODY` (non-extensible structure).
    Body(&'a Part),
    BodyStructure(&'a Part),
    /// `BINARY.SIZE[part] n` (RFC 3516): the decoded size.
    BinarySize {
        part: Vec<u32>,
        size: u64,
    },
    /// A section with its bytes in memory (`None`: NIL, e.g. a part that does not exist).
    Section {
        name: SectionName,
        data: Option<&'a [u8]>,
    },
}

/// Writes one `* n FETCH (...)` response.
#[derive(Debug)]
pub struct FetchWriter {
    opts: EncodeOptions,
    first: bool,
}

impl FetchWriter {
    /// Writes `* seq FETCH (`.
    pub fn begin(out: &mut Vec<u8>, seq: u32, opts: EncodeOptions) -> Self {
        out.extend_from_slice(format!("* {seq} FETCH (").as_bytes());
        FetchWriter { opts, first: true }
    }

    fn sep(&mut self, out: &mut Vec<u8>) {
        if !self.first {
            out.push(b' ');
        }
        self.first = false;
    }

    /// Writes one item.
    pub fn item(&mut self, out: &mut Vec<u8>, item: &FetchItem<'_>) {
        self.sep(out);
        let utf8 = self.opts.utf8;
        match item {
            FetchItem::Uid(u) => out.extend_from_slice(format!("UID {u}").as_bytes()),
            FetchItem::Flags(f) => {
                out.extend_from_slice(b"FLAGS ");
                code::flag_list(out, f);
            }
            FetchItem::InternalDate(d) => {
                out.extend_from_slice(format!("INTERNALDATE {}", d.to_wire()).as_bytes())
            }
            FetchItem::Rfc822Size(n) => {
                out.extend_from_slice(format!("RFC822.SIZE {n}").as_bytes())
            }
            FetchItem::ModSeq(m) => out.extend_from_slice(format!("MODSEQ ({m})").as_bytes()),
            FetchItem::Envelope(e) => {
                out.extend_from_slice(b"ENVELOPE ");
                body::envelope(out, e, utf8);
            }
            FetchItem::Body(p) => {
                out.extend_from_slice(b"BODY ");
                body::body(out, p, false, utf8);
            }
            FetchItem::BodyStructure(p) => {
                out.extend_from_slice(b"BODYSTRUCTURE ");
                body::body(out, p, true, utf8);
            }
            FetchItem::BinarySize { part, size } => {
                out.extend_from_slice(format!("BINARY.SIZE[{}] {size}", part_path(part)).as_bytes())
            }
            FetchItem::Section { name, data } => {
                name.write(out);
                out.push(b' ');
                match data {
                    // Message bytes always go as a literal: they hold CRLFs and 8-bit data.
                    Some(d) if d.contains(&0) => {
                        write::literal8_prefix(out, d.len() as u64);
                        out.extend_from_slice(d);
                    }
                    Some(d) => {
                        write::literal_prefix(out, d.len() as u64);
                        out.extend_from_slice(d);
                    }
                    None => out.extend_from_slice(b"NIL"),
                }
            }
        }
    }

    /// Writes a section's name and literal header; the caller then writes exactly `len` bytes.
    /// `binary` announces literal8 (`~{n}`) for data that may contain NUL.
    pub fn section_prefix(
        &mut self,
        out: &mut Vec<u8>,
        name: &SectionName,
        len: u64,
        binary: bool,
    ) {
        self.sep(out);
        name.write(out);
        out.push(b' ');
        if binary {
            write::literal8_prefix(out, len);
        } else {
            write::literal_prefix(out, len);
        }
    }

    /// Closes the response: `)\r\n`.
    pub fn end(self, out: &mut Vec<u8>) {
        out.extend_from_slice(b")\r\n");
    }
}
