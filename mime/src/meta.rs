//! Message-level metadata from the top-level header block and the collected text state:
//! SEARCH header fields, ids, subject, date, preview.

use super::headers::{RawField, first};
use super::tree::TextState;
use super::{address, date, encoded_words};
use eider_model::{HeaderField, MessageMeta, Part};

/// Characters of preview text kept.
pub(crate) const PREVIEW_CHARS: usize = 200;

pub(crate) fn build(root: Part, fields: &[RawField], text: &TextState) -> MessageMeta {
    let cs = root
        .params
        .iter()
        .find(|p| p.name == "charset")
        .map(|p| p.value.clone());
    let cs = cs.as_deref();
    let headers = fields
        .iter()
        .map(|f| HeaderField {
            name: f.name.clone(),
            value: encoded_words::decode(&f.value, cs),
        })
        .collect();
    let ids = |n: &str| first(fields, n).map(address::msg_ids).unwrap_or_default();
    let preview = if text.preview_plain.is_empty() {
        &text.preview_html
    } else {
        &text.preview_plain
    };
    MessageMeta {
        envelope: address::envelope(fields),
        headers,
        message_id: ids("message-id").into_iter().next(),
        in_reply_to: ids("in-reply-to"),
        references: ids("references"),
        subject: first(fields, "subject").map(|s| encoded_words::decode(s, cs)),
        sent_date: first(fields, "date").and_then(date::parse),
        has_attachments: text.has_attachments,
        text_blob: None,
        preview: preview.trim_end().to_string(),
        root,
    }
}

/// Appends `s` to a preview with whitespace runs collapsed, up to [`PREVIEW_CHARS`].
pub(crate) fn extend_preview(p: &mut String, s: &str) {
    let mut n = p.chars().count();
    for ch in s.chars() {
        if n >= PREVIEW_CHARS {
            return;
        }
        if ch.is_whitespace() || ch.is_control() {
            if !p.is_empty() && !p.ends_with(' ') {
                p.push(' ');
                n += 1;
            }
        } else {
            p.push(ch);
            n += 1;
        }
    }
}
