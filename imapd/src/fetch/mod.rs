//! FETCH body sections: which bytes of a stored message `BODY[section]<partial>` returns.
//!
//! [`plan`] is pure: from the part tree (`meta.root`, offsets into the message as served) and a
//! [`Section`] it computes either a byte range of the message or a header block to filter.
//! [`read_section`] then reads through `content::read_range`, so only the blob chunks under the
//! requested bytes are fetched (a partial of a plain range reads only that slice). Large plain
//! ranges (`BODY[]`, an attachment) should not be held whole: [`section_reader`] yields them in
//! bounded windows for the driver to write after `FetchWriter::section_prefix`; header
//! selections are small and always computed in memory.
//!
//! Part addressing (RFC 3501 §6.4.5): in a message (the top level, or one encapsulated in a
//! `message/rfc822` part) part `n` is the `n`th child of a multipart root, or the root itself
//! (`n == 1`) otherwise. From a `message/rfc822` part, further numbers address inside the
//! encapsulated message, and `HEADER`/`TEXT`/`HEADER.FIELDS` after the part number mean the
//! encapsulated message's header and text. `MIME` is a part's own header block.

mod headers;

pub use headers::filter_fields;

use eider_model::{Part, StoredMessage};
use eider_store::MailStore;
use eider_store::StoreError;
use eider_store::content::{MessageReader, read_range};

use crate::proto::command::FetchAttr;
pub use crate::proto::command::{Section, SectionPart};

/// The section and partial a body-returning FETCH item asks for (RFC 3501 §6.4.5:
/// `RFC822` is `BODY[]`, `RFC822.HEADER` is `BODY.PEEK[HEADER]`, `RFC822.TEXT` is `BODY[TEXT]`);
/// `None` for items that return no body bytes.
pub fn section_of(attr: &FetchAttr) -> Option<(Section, Option<Partial>)> {
    let top = |text| Section {
        part: Vec::new(),
        text: Some(text),
    };
    Some(match attr {
        FetchAttr::Rfc822 => (Section::default(), None),
        FetchAttr::Rfc822Header => (top(SectionPart::Header), None),
        FetchAttr::Rfc822Text => (top(SectionPart::Text), None),
        FetchAttr::BodySection {
            section, partial, ..
        } => (section.clone(), partial.map(Partial::from)),
        _ => return None,
    })
}

/// `<start.length>` of a partial fetch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partial {
    pub start: u64,
    pub len: u64,
}

impl From<(u32, u32)> for Partial {
    fn from((start, len): (u32, u32)) -> Self {
        Partial {
            start: u64::from(start),
            len: u64::from(len),
        }
    }
}

/// What to return for a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// Bytes `start..start + len` of the message, as they are.
    Range { start: u64, len: u64 },
    /// Read `start..start + len` (a header block), keep the listed fields (or all others when
    /// `exclude`), then apply `partial`.
    Fields {
        start: u64,
        len: u64,
        names: Vec<String>,
        exclude: bool,
        partial: Option<Partial>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The part number does not exist in this message (servers commonly answer NIL or "").
    #[error("no such body part")]
    NoSuchPart,
    /// HEADER/TEXT after a part number that is not `message/rfc822`.
    #[error("body part is not a message")]
    NotMessage,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Part `n` (1-based) of the message whose root part is `root`.
fn message_child(root: &Part, n: u32) -> Option<&Part> {
    if root.media_type == "multipart" {
        root.children.get(usize::try_from(n).ok()?.checked_sub(1)?)
    } else if n == 1 {
        Some(root)
    } else {
        None
    }
}

/// Sub-part `n` of `part`, itself addressed by a part number.
fn part_child(part: &Part, n: u32) -> Option<&Part> {
    if let Some(m) = &part.message {
        return message_child(&m.root, n);
    }
    if part.media_type == "multipart" {
        return part.children.get(usize::try_from(n).ok()?.checked_sub(1)?);
    }
    None
}

fn range(start: u64, end: u64) -> (u64, u64) {
    (start, end.saturating_sub(start))
}

/// RFC 3501 §6.4.5 partial: the slice of `len` bytes starting at `p.start`, clamped.
fn clamp(start: u64, len: u64, p: Option<Partial>) -> (u64, u64) {
    match p {
        None => (start, len),
        Some(p) => {
            let off = p.start.min(len);
            (start + off, p.len.min(len - off))
        }
    }
}

/// Byte bounds a range may not leave: the message, or the body of the `message/rfc822` part
/// that encapsulates the current message. Part trees come from parsing possibly malformed mail;
/// clamping keeps a nested message's ranges inside its container whatever the tree says.
#[derive(Clone, Copy)]
struct Bounds(u64, u64);

impl Bounds {
    fn range(self, a: u64, b: u64) -> (u64, u64) {
        let (a, b) = (a.clamp(self.0, self.1), b.clamp(self.0, self.1));
        range(a, b)
    }

    /// The bounds inside message part `p`.
    fn enter(self, p: &Part) -> Self {
        let a = p.body_start.clamp(self.0, self.1);
        Bounds(a, p.body_end.clamp(a, self.1))
    }
}

/// Works out the bytes `section` (with `partial`) selects in a message of `size` bytes whose
/// part tree is `root`.
pub fn plan(
    root: &Part,
    size: u64,
    section: &Section,
    partial: Option<Partial>,
) -> Result<Plan, FetchError> {
    let mut bounds = Bounds(0, size);
    let mut target: Option<&Part> = None;
    for &n in &section.part {
        let next = match target {
            None => message_child(root, n),
            Some(p) => {
                if p.message.is_some() {
                    bounds = bounds.enter(p);
                }
                part_child(p, n)
            }
        };
        target = Some(next.ok_or(FetchError::NoSuchPart)?);
    }
    let (start, len) = match (target, &section.text) {
        (None, None) => (0, size),
        (Some(p), None) => bounds.range(p.body_start, p.body_end),
        (Some(p), Some(SectionPart::Mime)) => bounds.range(p.header_start, p.body_start),
        (None, Some(SectionPart::Mime)) => return Err(FetchError::NoSuchPart),
        (_, Some(text)) => {
            // The message whose header/text is meant.
            let msg_root = match target {
                None => root,
                Some(p) => {
                    bounds = bounds.enter(p);
                    &p.message.as_ref().ok_or(FetchError::NotMessage)?.root
                }
            };
            let header = bounds.range(msg_root.header_start, msg_root.body_start);
            match text {
                SectionPart::Header => header,
                SectionPart::Text => bounds.range(msg_root.body_start, msg_root.body_end),
                SectionPart::HeaderFields(names) | SectionPart::HeaderFieldsNot(names) => {
                    return Ok(Plan::Fields {
                        start: header.0,
                        len: header.1,
                        names: names.clone(),
                        exclude: matches!(text, SectionPart::HeaderFieldsNot(_)),
                        partial,
                    });
                }
                SectionPart::Mime => return Err(FetchError::NoSuchPart),
            }
        }
    };
    let (start, len) = clamp(start, len, partial);
    Ok(Plan::Range { start, len })
}

/// Reads what [`plan`] selected.
pub async fn read_plan(
    store: &dyn MailStore,
    msg: &StoredMessage,
    plan: &Plan,
) -> Result<Vec<u8>, FetchError> {
    match plan {
        Plan::Range { start, len } => Ok(read_range(store, &msg.segments, *start, *len).await?),
        Plan::Fields {
            start,
            len,
            names,
            exclude,
            partial,
        } => {
            let block = read_range(store, &msg.segments, *start, *len).await?;
            let out = filter_fields(&block, names, *exclude);
            let (s, l) = clamp(0, out.len() as u64, *partial);
            // s and l are within out.len() by construction of `clamp`.
            Ok(out
                .get(s as usize..(s + l) as usize)
                .map(<[u8]>::to_vec)
                .unwrap_or_default())
        }
    }
}

/// The plan for `section` of a stored message.
pub fn plan_message(
    msg: &StoredMessage,
    section: &Section,
    partial: Option<Partial>,
) -> Result<Plan, FetchError> {
    plan(&msg.meta.root, msg.summary.size, section, partial)
}

/// For a [`Plan::Range`], a reader yielding its bytes in windows of at most `window` bytes, so
/// a section of any size streams in bounded memory; `None` for [`Plan::Fields`] (use
/// [`read_plan`]). The section's length, for the literal header, is the range's `len`.
pub fn section_reader<'a>(
    store: &'a dyn MailStore,
    msg: &'a StoredMessage,
    plan: &Plan,
    window: u64,
) -> Option<MessageReader<'a>> {
    match plan {
        Plan::Range { start, len } => Some(
            MessageReader::new(store, &msg.segments)
                .range(*start, *len)
                .window(window),
        ),
        Plan::Fields { .. } => None,
    }
}

/// `BODY[section]<partial>` of `msg`, reading only what is needed.
pub async fn read_section(
    store: &dyn MailStore,
    msg: &StoredMessage,
    section: &Section,
    partial: Option<Partial>,
) -> Result<Vec<u8>, FetchError> {
    let plan = plan_message(msg, section, partial)?;
    read_plan(store, msg, &plan).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
