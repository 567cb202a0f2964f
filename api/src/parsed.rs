//! One message as parsed JSON (downloads of its parts and raw bytes are in `download`).
//!
//! Everything comes from the `MessageMeta` stored at ingest (part tree with byte offsets) plus
//! `content::read_range` on the segments: nothing is re-parsed. Part ids are IMAP part numbers
//! (RFC 3501 §6.4.5: `1`, `1.2`, ...). Text bodies are capped at [`TEXT_CAP`] bytes each; HTML is
//! sanitised with ammonia (scripts, event handlers, forms and styles removed) and remote images
//! are dropped (reported by `remote_content_blocked`) so a browser can show it without leaking
//! that the mail was read.

use crate::auth::Principal;
use crate::decode::{decode_all, to_text};
use crate::error::{ApiError, ApiResult};
use crate::mailboxes::owned;
use crate::messages::{addresses, flag_names, message_id};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use eider_model::{Part, Segment, StoredMessage};
use eider_store::content::read_range;
use eider_store::mailstore::MailStore;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest text or HTML body decoded into the JSON, bytes of encoded input.
pub const TEXT_CAP: u64 = 2 * 1024 * 1024;

/// A leaf part with its IMAP part number.
pub(crate) struct Leaf<'a> {
    pub(crate) id: String,
    pub(crate) part: &'a Part,
}

fn param<'a>(params: &'a [eider_model::Param], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .map(|p| p.value.as_str())
}

fn leaves<'a>(part: &'a Part, id: String, out: &mut Vec<Leaf<'a>>) {
    if part.media_type == "multipart" && !part.children.is_empty() {
        for (i, child) in part.children.iter().enumerate() {
            let cid = if id.is_empty() {
                (i + 1).to_string()
            } else {
                format!("{id}.{}", i + 1)
            };
            leaves(child, cid, out);
        }
    } else {
        let id = if id.is_empty() { "1".to_owned() } else { id };
        out.push(Leaf { id, part });
    }
}

pub(crate) fn all_leaves(m: &StoredMessage) -> Vec<Leaf<'_>> {
    let mut out = Vec::new();
    leaves(&m.meta.root, String::new(), &mut out);
    out
}

pub(crate) fn filename(p: &Part) -> Option<&str> {
    param(&p.disposition_params, "filename").or_else(|| param(&p.params, "name"))
}

/// A body part shown inline (text or HTML) rather than listed as an attachment.
fn is_body(p: &Part) -> bool {
    p.media_type == "text"
        && matches!(p.media_subtype.as_str(), "plain" | "html")
        && !p
            .disposition
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case("attachment"))
        && filename(p).is_none()
}

fn attachment_view(leaf: &Leaf<'_>) -> Value {
    let p = leaf.part;
    json!({
        "id": leaf.id,
        "filename": filename(p),
        "content_type": format!("{}/{}", p.media_type, p.media_subtype),
        "size": p.decoded_size.unwrap_or(p.body_end - p.body_start),
        "content_id": p.content_id.as_deref().map(|c| c.trim_matches(|c| c == '<' || c == '>')),
        "disposition": p.disposition,
    })
}

async fn body_text(store: &dyn MailStore, segs: &[Segment], p: &Part) -> ApiResult<String> {
    let len = (p.body_end - p.body_start).min(TEXT_CAP);
    let raw = read_range(store, segs, p.body_start, len).await?;
    let bytes = decode_all(&p.encoding, &raw);
    Ok(to_text(&bytes, param(&p.params, "charset")))
}

/// Sanitises HTML for display; returns it and whether remote content was removed.
pub fn sanitize(html: &str) -> (String, bool) {
    let blocked = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&blocked);
    let clean = ammonia::Builder::default()
        .add_url_schemes(&["cid"])
        .attribute_filter(move |element, attribute, value| {
            let remote = {
                let v = value.trim_start().to_ascii_lowercase();
                v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")
            };
            // Images, sources and backgrounds load without a click: drop remote ones.
            let auto_loads = matches!(attribute, "src" | "srcset" | "background" | "poster")
                || (element == "img" && attribute == "lowsrc");
            if auto_loads && remote {
                flag.store(true, Ordering::Relaxed);
                None
            } else {
                Some(Cow::Borrowed(value))
            }
        })
        .clean(html)
        .to_string();
    (clean, blocked.load(Ordering::Relaxed))
}

pub async fn load(
    st: &AppState,
    p: Principal,
    user: &str,
    mailbox: &str,
    uid: &str,
) -> ApiResult<StoredMessage> {
    let id = p.user(user)?;
    let m = owned(st, id, mailbox).await?;
    let uid = message_id(uid)?;
    st.ctx
        .store
        .get_message(m.id, uid)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("message {}", uid.0)))
}

/// `GET /users/{user}/mailboxes/{mailbox}/messages/{uid}`.
pub async fn read(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox, uid)): Path<(String, String, String)>,
) -> ApiResult<Json<Value>> {
    let msg = load(&st, p, &user, &mailbox, &uid).await?;
    let store = &*st.ctx.store;
    let (mut text, mut html) = (Vec::new(), Vec::new());
    let mut attachments = Vec::new();
    for leaf in all_leaves(&msg) {
        if is_body(leaf.part) {
            let t = body_text(store, &msg.segments, leaf.part).await?;
            if leaf.part.media_subtype == "html" {
                html.push(t);
            } else {
                text.push(t);
            }
        } else {
            attachments.push(attachment_view(&leaf));
        }
    }
    let (html, blocked) = if html.is_empty() {
        (None, false)
    } else {
        let (h, b) = sanitize(&html.join("\n"));
        (Some(h), b)
    };
    let meta = &msg.meta;
    let env = &meta.envelope;
    let headers: Vec<Value> = meta
        .headers
        .iter()
        .map(|h| json!({"name": h.name, "value": h.value}))
        .collect();
    Ok(Json(json!({
        "uid": msg.summary.uid.0,
        "mailbox": msg.mailbox.0.to_string(),
        "thread": msg.summary.thread.0.to_string(),
        "modseq": msg.summary.modseq.0,
        "flags": flag_names(&msg.summary.flags),
        "size": msg.summary.size,
        "internal_date": msg.summary.internal_date,
        "date": meta.sent_date,
        "subject": meta.subject,
        "message_id": meta.message_id,
        "in_reply_to": meta.in_reply_to,
        "references": meta.references,
        "from": addresses(&env.from),
        "sender": addresses(&env.sender),
        "reply_to": addresses(&env.reply_to),
        "to": addresses(&env.to),
        "cc": addresses(&env.cc),
        "bcc": addresses(&env.bcc),
        "headers": headers,
        "text": (!text.is_empty()).then(|| text.join("\n")),
        "html": html,
        "remote_content_blocked": blocked,
        "attachments": attachments,
    })))
}

/// Collects ids already used (tests check part numbering).
#[cfg(test)]
fn ids(m: &StoredMessage) -> std::collections::HashSet<String> {
    all_leaves(m).into_iter().map(|l| l.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizer_drops_scripts_and_remote_images() {
        let cases = [
            ("<p>hi</p><script>alert(1)</script>", "<p>hi</p>", false),
            ("<img src=\"https://t.example/p.gif\">", "<img>", true),
            ("<img src=\"cid:logo\">", "<img src=\"cid:logo\">", false),
            (
                "<a href=\"javascript:x()\" onclick=\"y()\">l</a>",
                "<a rel=\"noopener noreferrer\">l</a>",
                false,
            ),
        ];
        for (input, want, blocked) in cases {
            let (got, b) = sanitize(input);
            assert_eq!(got, want, "{input}");
            assert_eq!(b, blocked, "{input}");
        }
    }

    #[test]
    fn part_numbers_follow_imap() {
        let leaf = |t: &str, s: &str| Part {
            media_type: t.into(),
            media_subtype: s.into(),
            ..Default::default()
        };
        let mut alt = leaf("multipart", "alternative");
        alt.children = vec![leaf("text", "plain"), leaf("text", "html")];
        let mut root = leaf("multipart", "mixed");
        root.children = vec![alt, leaf("image", "png")];
        let msg = StoredMessage {
            mailbox: Default::default(),
            summary: eider_model::MessageSummary {
                uid: Default::default(),
                modseq: Default::default(),
                flags: Default::default(),
                internal_date: 0,
                internal_tz_minutes: 0,
                size: 0,
                thread: Default::default(),
            },
            segments: vec![],
            sha256: [0; 32],
            meta: eider_model::MessageMeta {
                root,
                ..Default::default()
            },
        };
        let want: std::collections::HashSet<String> = ["1.1", "1.2", "2"].map(String::from).into();
        assert_eq!(ids(&msg), want);
    }
}
