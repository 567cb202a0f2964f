//! FETCH planning: what a FETCH needs from the store and how each item is named in the response
//! (RFC 3501 §6.4.5, §7.4.2; RFC 7162 §3.1.4).
//!
//! Invariant: the plan lists the response items in request order, with `UID` first for UID
//! FETCH and `FLAGS` added when the fetch sets `\Seen` on a writable mailbox (RFC 3501 §6.4.5),
//! so the driver only loads what the items need: the light summary, the parsed meta, or byte
//! ranges of the content.

use crate::proto::command::{Fetch, FetchAttr, Section, SectionPart};
use crate::proto::response::SectionName;

/// What the driver must load and send for one FETCH.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPlan {
    pub items: Vec<FetchAttr>,
    /// Fetching sets `\Seen` (non-PEEK body items on a writable mailbox).
    pub sets_seen: bool,
    /// ENVELOPE, BODY or BODYSTRUCTURE: the parsed meta is needed.
    pub needs_meta: bool,
    /// Some item reads message bytes.
    pub needs_content: bool,
    /// Only messages with a modseq above this (CHANGEDSINCE).
    pub changed_since: Option<u64>,
}

impl FetchPlan {
    pub fn new(fetch: &Fetch, read_only: bool) -> Self {
        let mut items = fetch.attrs.clone();
        let sets_seen = !read_only && items.iter().any(FetchAttr::sets_seen);
        if sets_seen && !items.contains(&FetchAttr::Flags) {
            items.push(FetchAttr::Flags);
        }
        let needs_meta = items.iter().any(|a| {
            matches!(
                a,
                FetchAttr::Envelope | FetchAttr::Body | FetchAttr::BodyStructure
            )
        });
        let needs_content = items.iter().any(|a| {
            matches!(
                a,
                FetchAttr::Rfc822
                    | FetchAttr::Rfc822Header
                    | FetchAttr::Rfc822Text
                    | FetchAttr::BodySection { .. }
                    | FetchAttr::Binary { .. }
                    | FetchAttr::BinarySize(_)
            )
        });
        FetchPlan {
            items,
            sets_seen,
            needs_meta,
            needs_content,
            changed_since: fetch.changed_since,
        }
    }
}

/// A FETCH item that reads message bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentItem {
    /// The section to resolve (`proto::section::locate`).
    pub section: Section,
    /// `<origin.count>` to apply to the resolved bytes.
    pub partial: Option<(u32, u32)>,
    /// How the item is named in the response.
    pub name: SectionName,
}

/// The content item for `attr`, or `None` when it reads no message bytes.
pub fn content_item(attr: &FetchAttr) -> Option<ContentItem> {
    let whole = |text| Section { part: vec![], text };
    let (section, partial, name) = match attr {
        FetchAttr::Rfc822 => (whole(None), None, SectionName::Rfc822),
        FetchAttr::Rfc822Header => (
            whole(Some(SectionPart::Header)),
            None,
            SectionName::Rfc822Header,
        ),
        FetchAttr::Rfc822Text => (
            whole(Some(SectionPart::Text)),
            None,
            SectionName::Rfc822Text,
        ),
        FetchAttr::BodySection {
            section, partial, ..
        } => (
            section.clone(),
            *partial,
            // RFC 3501 §7.4.2: BODY.PEEK is answered as BODY, with only the partial's origin.
            SectionName::Body {
                section: section.clone(),
                origin: partial.map(|p| p.0),
            },
        ),
        FetchAttr::Binary { part, partial, .. } => (
            Section {
                part: part.clone(),
                text: None,
            },
            *partial,
            SectionName::Binary {
                part: part.clone(),
                origin: partial.map(|p| p.0),
            },
        ),
        _ => return None,
    };
    Some(ContentItem {
        section,
        partial,
        name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::command::{self, CommandBody};

    fn fetch(line: &str) -> Fetch {
        match command::parse(line.as_bytes()).unwrap().body {
            CommandBody::Fetch(f) => f,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plans() {
        let p = FetchPlan::new(&fetch("a FETCH 1 (FLAGS UID)"), false);
        assert!(!p.sets_seen && !p.needs_meta && !p.needs_content);
        let p = FetchPlan::new(&fetch("a FETCH 1 (BODY[TEXT])"), false);
        assert!(p.sets_seen && p.needs_content && !p.needs_meta);
        assert_eq!(p.items.last(), Some(&FetchAttr::Flags));
        let p = FetchPlan::new(&fetch("a FETCH 1 (BODY[TEXT])"), true);
        assert!(!p.sets_seen);
        let p = FetchPlan::new(&fetch("a FETCH 1 (BODY.PEEK[] ENVELOPE)"), false);
        assert!(!p.sets_seen && p.needs_meta && p.needs_content);
        let p = FetchPlan::new(&fetch("a UID FETCH 1:* FAST (CHANGEDSINCE 9)"), false);
        assert_eq!(p.items[0], FetchAttr::Uid);
        assert_eq!(p.changed_since, Some(9));
        assert!(p.items.contains(&FetchAttr::ModSeq));
    }

    #[test]
    fn response_names() {
        let f = fetch("a FETCH 1 (BODY.PEEK[1.2]<10.20> RFC822.HEADER BINARY[3]<0.5> FLAGS)");
        let names: Vec<_> = f.attrs.iter().filter_map(content_item).collect();
        assert_eq!(names.len(), 3);
        let first = &names[0];
        assert_eq!(first.section.part, vec![1, 2]);
        assert_eq!(first.partial, Some((10, 20)));
        let body = SectionName::Body {
            section: first.section.clone(),
            origin: Some(10),
        };
        assert_eq!(first.name, body);
        assert_eq!(names[1].name, SectionName::Rfc822Header);
        assert_eq!(names[1].section.text, Some(SectionPart::Header));
        assert_eq!(
            names[2].name,
            SectionName::Binary {
                part: vec![3],
                origin: Some(0)
            }
        );
    }
}
