//! One message as parsed JSON, its attachments (streamed, with `Range`) and its raw bytes.
//!
//! Everything comes from the `MessageMeta` stored at ingest (part tree with byte offsets) plus
//! `content::read_range` on the segments: nothing is re-parsed. Part ids are IMAP part numbers
//! (RFC 3501 §6.4.5: `1`, `1.2`, ...). Text bodies are capped at [`TEXT_CAP`] bytes each; HTML is
//! sanitised with ammonia (scripts, event handlers, forms and styles removed) and remote images
//! are dropped (reported by `remote_content_blocked`) so a browser can show it without leaking
//! that the mail was read.

use crate::auth::Principal;
use crate::decode::{Decoder, decode_all, to_text};
use crate::error::{ApiError, ApiResult};
use crate::mailboxes::owned;
use crate::messages::{addresses, flag_names, message_id};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eider_common::content::read_range;
use eider_common::model::{Part, Segment, StoredMessage};
use eider_common::store::MailStore;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Largest text or HTML body decoded into the JSON, bytes of encoded input.
pub const TEXT_CAP: u64 = 2 * 1024 * 1024;
/// Encoded bytes read per window when streaming.
const WINDOW: u64 = 256 * 1024;

/// A leaf part with its IMAP part number.
struct Leaf<'a> {
    id: String,
    part: &'a Part,
}

fn param<'a>(params: &'a [eider_common::model::Param], name: &str) -> Option<&'a str> {
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

fn all_leaves(m: &StoredMessage) -> Vec<Leaf<'_>> {
    let mut out = Vec::new();
    leaves(&m.meta.root, String::new(), &mut out);
    out
}

fn filename(p: &Part) -> Option<&str> {
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

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` against `size`; `None` when absent or not a single
/// range we serve (then the whole body is sent, RFC 9110 §14.2 allows ignoring it).
fn parse_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(v) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(a), Ok(b)) if a <= b => (a, b.min(size.saturating_sub(1))),
        (Ok(a), Err(_)) if b.is_empty() => (a, size.saturating_sub(1)),
        (Err(_), Ok(n)) if a.is_empty() && n > 0 => {
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        _ => return Ok(None),
    };
    if range.0 >= size {
        return Err(ApiError::RangeNotSatisfiable(size));
    }
    Ok(Some(range))
}

/// Streams the decoded bytes `skip..skip+take` of an encoded body `start..end` of a message.
fn decoded_stream(
    store: Arc<dyn MailStore>,
    segments: Vec<Segment>,
    encoding: String,
    (start, end): (u64, u64),
    (skip, take): (u64, u64),
) -> Body {
    struct S {
        store: Arc<dyn MailStore>,
        segments: Vec<Segment>,
        dec: Decoder,
        pos: u64,
        end: u64,
        produced: u64,
        skip: u64,
        take: u64,
        done: bool,
    }
    let s = S {
        store,
        segments,
        dec: Decoder::for_encoding(&encoding),
        pos: start,
        end,
        produced: 0,
        skip,
        take,
        done: false,
    };
    let stream = futures::stream::unfold(s, |mut s| async move {
        loop {
            if s.done || s.take == 0 {
                return None;
            }
            let mut out = Vec::new();
            if s.pos < s.end {
                let n = WINDOW.min(s.end - s.pos);
                match read_range(&*s.store, &s.segments, s.pos, n).await {
                    Ok(raw) if !raw.is_empty() => {
                        s.pos += raw.len() as u64;
                        s.dec.feed(&raw, &mut out);
                    }
                    Ok(_) => {
                        s.pos = s.end;
                    }
                    Err(e) => {
                        s.done = true;
                        return Some((Err(std::io::Error::other(e.to_string())), s));
                    }
                }
            } else {
                s.dec.finish(&mut out);
                s.done = true;
            }
            // Cut the window to the requested slice of decoded bytes.
            let (w0, w1) = (s.produced, s.produced + out.len() as u64);
            s.produced = w1;
            let a = s.skip.max(w0);
            let b = (s.skip + s.take).min(w1);
            if a < b {
                let slice = out[(a - w0) as usize..(b - w0) as usize].to_vec();
                if b == s.skip + s.take {
                    s.take = 0;
                }
                return Some((Ok(bytes::Bytes::from(slice)), s));
            }
            if s.done {
                return None;
            }
        }
    });
    Body::from_stream(stream)
}

fn disposition(kind: &str, name: &str) -> HeaderValue {
    // RFC 6266 with an ASCII fallback and the UTF-8 name in filename* (RFC 8187).
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "{kind}; filename=\"{ascii}\"; filename*=UTF-8''{enc}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /users/{user}/mailboxes/{mailbox}/messages/{uid}/attachments/{part}`.
pub async fn attachment(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox, uid, part)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let msg = load(&st, p, &user, &mailbox, &uid).await?;
    let leaves = all_leaves(&msg);
    let Some(leaf) = leaves.iter().find(|l| l.id == part) else {
        return Err(ApiError::NotFound(format!("attachment {part}")));
    };
    let pt = leaf.part;
    let ctype = format!("{}/{}", pt.media_type, pt.media_subtype);
    let name = filename(pt)
        .map(str::to_owned)
        .unwrap_or_else(|| format!("part-{part}"));
    let mut resp_headers = HeaderMap::new();
    resp_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&ctype)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    resp_headers.insert(
        header::CONTENT_DISPOSITION,
        disposition("attachment", &name),
    );
    resp_headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let encoded = (pt.body_start, pt.body_end);
    // The decoded size is known for bodies decoded at ingest; identity bodies are their bytes.
    let size = pt.decoded_size.or_else(|| {
        (!matches!(pt.encoding.as_str(), "base64" | "quoted-printable"))
            .then_some(pt.body_end - pt.body_start)
    });
    let (status, skip, take) = match size {
        Some(size) => {
            resp_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
            match parse_range(&headers, size)? {
                Some((a, b)) => {
                    if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}")) {
                        resp_headers.insert(header::CONTENT_RANGE, v);
                    }
                    (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
                }
                None => (StatusCode::OK, 0, size),
            }
        }
        None => (StatusCode::OK, 0, u64::MAX),
    };
    if take != u64::MAX {
        resp_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(take));
    }
    let body = decoded_stream(
        Arc::clone(&st.ctx.store),
        msg.segments.clone(),
        pt.encoding.clone(),
        encoded,
        (skip, take),
    );
    Ok((status, resp_headers, body).into_response())
}

/// `GET /users/{user}/mailboxes/{mailbox}/messages/{uid}/raw`: the message byte for byte.
pub async fn raw(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox, uid)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let msg = load(&st, p, &user, &mailbox, &uid).await?;
    let size = msg.summary.size;
    let name = format!("{}.eml", msg.summary.uid.0);
    let body = decoded_stream(
        Arc::clone(&st.ctx.store),
        msg.segments,
        String::new(),
        (0, size),
        (0, size),
    );
    let mut h = HeaderMap::new();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("message/rfc822"),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        disposition("attachment", &name),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    Ok((StatusCode::OK, h, body).into_response())
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
            summary: eider_common::model::MessageSummary {
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
            meta: eider_common::model::MessageMeta {
                root,
                ..Default::default()
            },
        };
        let want: std::collections::HashSet<String> = ["1.1", "1.2", "2"].map(String::from).into();
        assert_eq!(ids(&msg), want);
    }

    #[test]
    fn ranges() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::RANGE, HeaderValue::from_str(v).unwrap());
            m
        };
        assert_eq!(parse_range(&h("bytes=0-9"), 100).unwrap(), Some((0, 9)));
        assert_eq!(parse_range(&h("bytes=90-"), 100).unwrap(), Some((90, 99)));
        assert_eq!(parse_range(&h("bytes=-10"), 100).unwrap(), Some((90, 99)));
        assert_eq!(
            parse_range(&h("bytes=95-200"), 100).unwrap(),
            Some((95, 99))
        );
        assert!(parse_range(&h("bytes=100-"), 100).is_err());
        assert_eq!(parse_range(&h("items=1-2"), 100).unwrap(), None);
        assert_eq!(parse_range(&HeaderMap::new(), 100).unwrap(), None);
    }
}
