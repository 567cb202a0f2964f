//! Streaming downloads of one message: an attachment decoded from its transfer encoding (with a
//! single `Range`), and the raw message byte for byte.
//!
//! Invariant: bodies are read in windows of [`WINDOW`] encoded bytes through
//! `content::read_range` and decoded incrementally, so memory is bounded by one window whatever
//! the attachment size.

use crate::auth::Principal;
use crate::decode::Decoder;
use crate::error::{ApiError, ApiResult};
use crate::parsed::{all_leaves, filename, load};
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use eider_model::Segment;
use eider_store::content::read_range;
use eider_store::mailstore::MailStore;
use std::sync::Arc;

/// Encoded bytes read per window when streaming.
const WINDOW: u64 = 256 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;

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
