//! Message listings, flag changes, moves, deletes (single and batch) and raw uploads.
//!
//! Listings page by UID or by internal date with opaque cursors; uploads stream the request
//! body through `eider_store::ingest::prepare_message_deferred`, the same path LMTP delivery takes, and
//! are bounded by `limits.max_message_size` (413 past it, counted as the body arrives).

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Q, cursor_decode, cursor_encode, page_limit};
use crate::mailboxes::owned;
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use eider_model::types::Uid;
use eider_model::{
    EnvelopeAddress, FlagOp, Flags, Mailbox, MessageSummary, StoredMessage, SystemFlags,
};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub fn message_id(s: &str) -> ApiResult<Uid> {
    s.parse::<u32>()
        .ok()
        .filter(|&n| n > 0)
        .map(Uid)
        .ok_or_else(|| ApiError::NotFound(format!("message {s}")))
}

const SYSTEM: [(u8, &str); 5] = [
    (SystemFlags::SEEN, "\\Seen"),
    (SystemFlags::ANSWERED, "\\Answered"),
    (SystemFlags::FLAGGED, "\\Flagged"),
    (SystemFlags::DELETED, "\\Deleted"),
    (SystemFlags::DRAFT, "\\Draft"),
];

pub fn flag_names(f: &Flags) -> Vec<String> {
    let mut out: Vec<String> = SYSTEM
        .iter()
        .filter(|(bit, _)| f.system.has(*bit))
        .map(|(_, n)| (*n).to_owned())
        .collect();
    out.extend(f.keywords.iter().cloned());
    out
}

/// Parses flag names: the system flags (case-insensitive) and IMAP atoms as keywords.
pub fn parse_flags(names: &[String]) -> ApiResult<Flags> {
    let mut f = Flags::default();
    for n in names {
        if let Some((bit, _)) = SYSTEM.iter().find(|(_, s)| s.eq_ignore_ascii_case(n)) {
            f.system.0 |= bit;
        } else if !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b))
        {
            f.keywords.insert(n.clone());
        } else {
            return Err(ApiError::BadRequest(format!("invalid flag {n:?}")));
        }
    }
    Ok(f)
}

pub fn addresses(list: &[EnvelopeAddress]) -> Vec<Value> {
    list.iter()
        .filter(|a| a.host.is_some())
        .map(|a| {
            let name = a
                .name
                .as_deref()
                .map(|n| eider_mime::decode_header_value(n, None));
            let mailbox = String::from_utf8_lossy(a.mailbox.as_deref().unwrap_or_default());
            let host = String::from_utf8_lossy(a.host.as_deref().unwrap_or_default());
            json!({"name": name, "address": format!("{mailbox}@{host}")})
        })
        .collect()
}

pub fn item(m: &StoredMessage) -> Value {
    let meta = &m.meta;
    json!({
        "uid": m.summary.uid.0,
        "mailbox": m.mailbox.0.to_string(),
        "thread": m.summary.thread.0.to_string(),
        "modseq": m.summary.modseq.0,
        "flags": flag_names(&m.summary.flags),
        "subject": meta.subject,
        "from": addresses(&meta.envelope.from),
        "to": addresses(&meta.envelope.to),
        "date": meta.sent_date.unwrap_or(m.summary.internal_date),
        "internal_date": m.summary.internal_date,
        "size": m.summary.size,
        "has_attachments": meta.has_attachments,
        "preview": meta.preview,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<usize>,
    cursor: Option<String>,
    /// `uid` (default) or `date` (internal date, then UID).
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    order: Option<String>,
}

/// `GET /users/{user}/mailboxes/{mailbox}/messages`.
pub async fn list(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
    Q(q): Q<ListQuery>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    let limit = page_limit(q.limit)?;
    let by_date = match q.sort.as_deref() {
        None | Some("uid") => false,
        Some("date") => true,
        Some(s) => return Err(ApiError::BadRequest(format!("unknown sort {s:?}"))),
    };
    let desc = match q.order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => return Err(ApiError::BadRequest(format!("unknown order {o:?}"))),
    };
    let kind = format!("messages-{}-{}", if by_date { "date" } else { "uid" }, desc);
    // Cursor: the sort key of the last item returned, `date.uid` or `uid`.
    let after: Option<(i64, u32)> = match &q.cursor {
        Some(c) => {
            let v = cursor_decode(&kind, c)?;
            let bad = || ApiError::BadRequest("invalid cursor".into());
            let (d, u) = v.split_once('.').ok_or_else(bad)?;
            Some((d.parse().map_err(|_| bad())?, u.parse().map_err(|_| bad())?))
        }
        None => None,
    };
    let mb = owned(&st, id, &mailbox).await?;
    let mut all: Vec<MessageSummary> = st
        .ctx
        .store
        .list_messages(mb.id, Uid(1)..=Uid(u32::MAX))
        .await?;
    let key = |s: &MessageSummary| {
        if by_date {
            (s.internal_date, s.uid.0)
        } else {
            (0, s.uid.0)
        }
    };
    all.sort_by_key(key);
    if desc {
        all.reverse();
    }
    let mut page: Vec<&MessageSummary> = all
        .iter()
        .filter(|s| match after {
            None => true,
            Some(a) if desc => key(s) < a,
            Some(a) => key(s) > a,
        })
        .take(limit + 1)
        .collect();
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|s| {
            let (d, u) = key(s);
            cursor_encode(&kind, &format!("{d}.{u}"))
        })
    } else {
        None
    };
    let mut items = Vec::with_capacity(page.len());
    if !by_date && let (Some(first), Some(last)) = (page.first(), page.last()) {
        // A UID page is a contiguous run of existing UIDs: one range read.
        let (lo, hi) = (first.uid.min(last.uid), first.uid.max(last.uid));
        let mut full = st.ctx.store.get_messages(mb.id, lo..=hi).await?;
        if desc {
            full.reverse();
        }
        items.extend(full.iter().map(item));
    } else {
        for s in page {
            if let Some(m) = st.ctx.store.get_message(mb.id, s.uid).await? {
                items.push(item(&m));
            }
        }
    }
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

/// Changes to one message (`PUT .../messages/{uid}`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateFields {
    add_flags: Option<Vec<String>>,
    remove_flags: Option<Vec<String>>,
    set_flags: Option<Vec<String>>,
    /// Target mailbox id: the messages move there (after any flag change).
    move_to: Option<String>,
}

/// Changes to many messages (`POST .../messages/batch`): the same fields plus `uids` and
/// `delete` (serde's `flatten` would lose `deny_unknown_fields`, hence the repetition).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    uids: Vec<u32>,
    #[serde(default)]
    delete: bool,
    add_flags: Option<Vec<String>>,
    remove_flags: Option<Vec<String>>,
    set_flags: Option<Vec<String>>,
    move_to: Option<String>,
}

async fn apply(
    st: &AppState,
    user: eider_model::types::UserId,
    mb: &Mailbox,
    uids: &[Uid],
    u: UpdateFields,
) -> ApiResult<Value> {
    let target = match &u.move_to {
        Some(t) => Some(owned(st, user, t).await?),
        None => None,
    };
    let ops = [
        (FlagOp::Replace, &u.set_flags),
        (FlagOp::Add, &u.add_flags),
        (FlagOp::Remove, &u.remove_flags),
    ];
    let mut parsed = Vec::new();
    for (op, names) in ops {
        if let Some(names) = names {
            parsed.push((op, parse_flags(names)?));
        }
    }
    for (op, flags) in parsed {
        st.ctx
            .store
            .set_flags(mb.id, uids, op, &flags, None)
            .await?;
    }
    match target {
        Some(t) if t.id != mb.id => {
            let copied = st.ctx.store.move_messages(mb.id, uids, t.id).await?;
            // The store recorded any junk signal with the move: deliver it now, not at the
            // next poll.
            if eider_store::junk::classify(mb, &t).is_some() {
                crate::outbox::wake(&st.outbox_wake);
            }
            let moved: Vec<Value> = copied
                .mapping
                .iter()
                .map(|(from, to)| json!({"uid": from.0, "new_uid": to.0}))
                .collect();
            Ok(json!({"mailbox": t.id.0.to_string(), "moved": moved}))
        }
        _ => {
            let now = st
                .ctx
                .store
                .list_messages(mb.id, Uid(1)..=Uid(u32::MAX))
                .await?;
            let items: Vec<Value> = now
                .iter()
                .filter(|s| uids.contains(&s.uid))
                .map(|s| json!({"uid": s.uid.0, "flags": flag_names(&s.flags)}))
                .collect();
            Ok(json!({"mailbox": mb.id.0.to_string(), "updated": items}))
        }
    }
}

/// `PUT /users/{user}/mailboxes/{mailbox}/messages/{uid}`.
pub async fn update(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox, uid)): Path<(String, String, String)>,
    JsonBody(u): JsonBody<UpdateFields>,
) -> ApiResult<Json<Value>> {
    let msg = crate::parsed::load(&st, p, &user, &mailbox, &uid).await?;
    let id = p.user(&user)?;
    let mb = owned(&st, id, &mailbox).await?;
    Ok(Json(apply(&st, id, &mb, &[msg.summary.uid], u).await?))
}

/// `DELETE /users/{user}/mailboxes/{mailbox}/messages/{uid}`: expunges it.
pub async fn delete(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox, uid)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let msg = crate::parsed::load(&st, p, &user, &mailbox, &uid).await?;
    st.ctx
        .store
        .expunge(msg.mailbox, Some(&[msg.summary.uid]), false)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /users/{user}/mailboxes/{mailbox}/messages/batch`.
pub async fn batch(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
    JsonBody(b): JsonBody<Batch>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    if b.uids.is_empty() || b.uids.len() > 10_000 || b.uids.contains(&0) {
        return Err(ApiError::BadRequest(
            "uids must hold 1 to 10000 non-zero UIDs".into(),
        ));
    }
    let mb = owned(&st, id, &mailbox).await?;
    let uids: Vec<Uid> = b.uids.iter().map(|&u| Uid(u)).collect();
    let update = UpdateFields {
        add_flags: b.add_flags,
        remove_flags: b.remove_flags,
        set_flags: b.set_flags,
        move_to: b.move_to,
    };
    if b.delete {
        let u = &update;
        if u.add_flags.is_some()
            || u.remove_flags.is_some()
            || u.set_flags.is_some()
            || u.move_to.is_some()
        {
            return Err(ApiError::BadRequest(
                "delete cannot be combined with other changes".into(),
            ));
        }
        let gone = st.ctx.store.expunge(mb.id, Some(&uids), false).await?;
        let gone: Vec<u32> = gone.iter().map(|u| u.0).collect();
        return Ok(Json(
            json!({"mailbox": mb.id.0.to_string(), "deleted": gone}),
        ));
    }
    Ok(Json(apply(&st, id, &mb, &uids, update).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// Comma-separated flags for the new message.
    flags: Option<String>,
}

/// `POST /users/{user}/mailboxes/{mailbox}/messages`: the body is the raw RFC 5322 message.
pub async fn upload(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
    Q(q): Q<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = p.user(&user)?;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(
        essence.as_str(),
        "message/rfc822" | "application/octet-stream"
    ) {
        return Err(ApiError::UnsupportedMedia(
            "expected Content-Type: message/rfc822".into(),
        ));
    }
    let names: Vec<String> = q
        .flags
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let flags = parse_flags(&names)?;
    let mb = owned(&st, id, &mailbox).await?;
    let max = st.ctx.config.limits.max_message_size;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(ApiError::TooLarge);
    }
    let too_large = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&too_large);
    let mut seen = 0u64;
    let stream = body.into_data_stream().map(move |chunk| {
        let chunk = chunk.map_err(std::io::Error::other)?;
        seen += chunk.len() as u64;
        if seen > max {
            flag.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other("message too large"));
        }
        Ok(chunk)
    });
    let reader = tokio_util::io::StreamReader::new(stream);
    let prepared = eider_store::ingest::prepare_message_deferred(
        &*st.ctx.store,
        reader,
        eider_mime::Limits::default(),
    )
    .await;
    let prepared = match prepared {
        Ok(p) => p,
        Err(_) if too_large.load(Ordering::Relaxed) => return Err(ApiError::TooLarge),
        Err(eider_store::ingest::IngestError::Store(e)) => return Err(e.into()),
        Err(e) => {
            return Err(ApiError::BadRequest(format!(
                "cannot read the message: {e}"
            )));
        }
    };
    if prepared.size == 0 {
        return Err(ApiError::BadRequest("empty message".into()));
    }
    // Gmail-like: a client saving its copy of a message already in Sent (same Message-ID, e.g.
    // one sent through `submit`) gets the stored one back rather than a duplicate.
    if mb.special_use == Some(eider_model::SpecialUse::Sent)
        && let Some(mid) = &prepared.meta.message_id
        && let Some(uid) =
            eider_store::ingest::find_by_message_id(&*st.ctx.store, mb.id, mid).await?
    {
        return Ok((
            StatusCode::OK,
            Json(json!({
                "mailbox": mb.id.0.to_string(),
                "uid": uid.0,
                "uid_validity": mb.uid_validity.0,
                "size": prepared.size,
                "duplicate": true,
            })),
        ));
    }
    let size = prepared.size;
    let (message, pending) = prepared.into_message(flags, crate::auth::now(), 0);
    let appended = st
        .ctx
        .store
        .append_with_blobs(mb.id, message, pending)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "mailbox": appended.mailbox.0.to_string(),
            "uid": appended.uid.0,
            "uid_validity": appended.uid_validity.0,
            "size": size,
            "duplicate": false,
        })),
    ))
}
