//! `POST /users/{user}/submit`: builds a MIME message from JSON, relays it through the
//! `[api] smarthost`, and stores the sent copy, `\Seen`, in the user's `\Sent` mailbox through
//! the ingest path. A reply (`reply_to`: a stored message) gets In-Reply-To/References and marks
//! the original `\Answered`.
//!
//! Invariants: the sender must be one of the user's addresses; no header value may contain CR or
//! LF (header injection); Bcc recipients receive the mail but are not written into it. Bodies
//! and attachments are base64 (RFC 2045 §6.8, 76-character lines) so any content is 7-bit safe.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::mailboxes::owned;
use crate::messages::message_id;
use crate::state::AppState;
use crate::users::existing;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use eider_model::{FlagOp, Flags, SpecialUse, SystemFlags};
use rand::RngCore;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    filename: String,
    content_type: Option<String>,
    /// Base64 of the bytes.
    content: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTo {
    mailbox: String,
    uid: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submit {
    from: Option<String>,
    #[serde(default)]
    to: Vec<String>,
    #[serde(default)]
    cc: Vec<String>,
    #[serde(default)]
    bcc: Vec<String>,
    #[serde(default)]
    subject: String,
    text: Option<String>,
    html: Option<String>,
    #[serde(default)]
    attachments: Vec<Attachment>,
    reply_to: Option<ReplyTo>,
}

fn clean(what: &str, v: &str) -> ApiResult<String> {
    if v.contains(['\r', '\n']) {
        return Err(ApiError::BadRequest(format!(
            "{what} must not contain line breaks"
        )));
    }
    Ok(v.trim().to_owned())
}

fn address(v: &str) -> ApiResult<String> {
    let v = clean("address", v)?;
    eider_store::address::normalize(&v)
        .map_err(|e| ApiError::BadRequest(format!("address {v:?}: {e}")))?;
    if v.contains(['<', '>', ',', ' ']) {
        return Err(ApiError::BadRequest(format!(
            "address {v:?}: give the bare address"
        )));
    }
    Ok(v)
}

/// RFC 2047 B-encoding for non-ASCII header text.
fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        s.to_owned()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(s))
    }
}

fn b64_lines(data: &[u8], out: &mut String) {
    let enc = STANDARD.encode(data);
    for chunk in enc.as_bytes().chunks(76) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push_str("\r\n");
    }
}

fn boundary() -> String {
    let mut raw = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut raw);
    format!("=_eider_{}", hex::encode(raw))
}

fn leaf(ctype: &str, extra: &str, data: &[u8], out: &mut String) {
    out.push_str(&format!(
        "Content-Type: {ctype}\r\n{extra}Content-Transfer-Encoding: base64\r\n\r\n"
    ));
    b64_lines(data, out);
}

/// The body part(s): text, HTML, or both as multipart/alternative.
fn body(text: Option<&str>, html: Option<&str>, out: &mut String) {
    match (text, html) {
        (Some(t), Some(h)) => {
            let b = boundary();
            out.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n"
            ));
            out.push_str(&format!("--{b}\r\n"));
            leaf("text/plain; charset=utf-8", "", t.as_bytes(), out);
            out.push_str(&format!("--{b}\r\n"));
            leaf("text/html; charset=utf-8", "", h.as_bytes(), out);
            out.push_str(&format!("--{b}--\r\n"));
        }
        (None, Some(h)) => leaf("text/html; charset=utf-8", "", h.as_bytes(), out),
        (t, None) => leaf(
            "text/plain; charset=utf-8",
            "",
            t.unwrap_or("").as_bytes(),
            out,
        ),
    }
}

pub async fn submit(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    JsonBody(s): JsonBody<Submit>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = p.user(&user)?;
    let smarthost = st.ctx.config.api.smarthost.clone();
    existing(&st, id).await?;
    let own = st.ctx.store.list_addresses(id).await?;
    let from = match &s.from {
        Some(f) => address(f)?,
        None => own
            .iter()
            .find(|a| !eider_store::address::is_catch_all(&a.address))
            .map(|a| a.address.clone())
            .ok_or_else(|| ApiError::BadRequest("the user has no address to send from".into()))?,
    };
    let from_norm = eider_store::address::normalize(&from)
        .map_err(|e| ApiError::BadRequest(format!("from: {e}")))?;
    if !own.iter().any(|a| a.address == from_norm) {
        return Err(ApiError::Forbidden(format!(
            "{from} is not one of the user's addresses"
        )));
    }
    let to: Vec<String> = s.to.iter().map(|a| address(a)).collect::<ApiResult<_>>()?;
    let cc: Vec<String> = s.cc.iter().map(|a| address(a)).collect::<ApiResult<_>>()?;
    let bcc: Vec<String> = s.bcc.iter().map(|a| address(a)).collect::<ApiResult<_>>()?;
    let limits = &st.ctx.config.api;
    match to.len() + cc.len() + bcc.len() {
        0 => return Err(ApiError::BadRequest("no recipients".into())),
        n if n > limits.submit_max_recipients => {
            return Err(ApiError::BadRequest(format!(
                "{n} recipients; at most {} ([api] submit_max_recipients)",
                limits.submit_max_recipients
            )));
        }
        _ => {}
    }
    let timeouts = crate::smtp::Timeouts {
        connect: std::time::Duration::from_secs(limits.submit_connect_timeout_secs),
        reply: std::time::Duration::from_secs(limits.submit_reply_timeout_secs),
    };
    let subject = clean("subject", &s.subject)?;
    let mut files = Vec::new();
    for a in &s.attachments {
        let data = STANDARD.decode(a.content.as_bytes()).map_err(|_| {
            ApiError::BadRequest(format!("attachment {:?}: invalid base64", a.filename))
        })?;
        let ctype = clean(
            "content_type",
            a.content_type
                .as_deref()
                .unwrap_or("application/octet-stream"),
        )?;
        if !ctype.contains('/') || ctype.contains(['"', ';']) {
            return Err(ApiError::BadRequest(format!(
                "attachment content_type {ctype:?}"
            )));
        }
        files.push((
            clean("filename", &a.filename)?.replace('"', "'"),
            ctype,
            data,
        ));
    }
    // The original of a reply.
    let original = match &s.reply_to {
        Some(r) => {
            let mb = owned(&st, id, &r.mailbox).await?;
            let uid = message_id(&r.uid.to_string())?;
            let m = st
                .ctx
                .store
                .get_message(mb.id, uid)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("message {}", r.uid)))?;
            Some(m)
        }
        None => None,
    };
    if smarthost.is_empty() {
        return Err(ApiError::Conflict(
            "submission is not configured ([api] smarthost)".into(),
        ));
    }
    let sent_box = st
        .ctx
        .store
        .list_mailboxes(id)
        .await?
        .into_iter()
        .find(|m| m.special_use == Some(SpecialUse::Sent))
        .ok_or_else(|| ApiError::Conflict("the user has no \\Sent mailbox".into()))?;

    let host = &st.ctx.config.lmtp.hostname;
    let mut rnd = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut rnd);
    let msg_id = format!("{}@{host}", hex::encode(rnd));
    let mut m = String::new();
    m.push_str(&format!("From: {from}\r\n"));
    if !to.is_empty() {
        m.push_str(&format!("To: {}\r\n", to.join(", ")));
    }
    if !cc.is_empty() {
        m.push_str(&format!("Cc: {}\r\n", cc.join(", ")));
    }
    m.push_str(&format!("Subject: {}\r\n", encode_word(&subject)));
    m.push_str(&format!("Date: {}\r\n", chrono::Utc::now().to_rfc2822()));
    m.push_str(&format!("Message-ID: <{msg_id}>\r\n"));
    if let Some(o) = &original
        && let Some(oid) = &o.meta.message_id
    {
        let mut refs: Vec<String> = o.meta.references.iter().map(|r| format!("<{r}>")).collect();
        refs.push(format!("<{oid}>"));
        m.push_str(&format!(
            "In-Reply-To: <{oid}>\r\nReferences: {}\r\n",
            refs.join(" ")
        ));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    if files.is_empty() {
        body(s.text.as_deref(), s.html.as_deref(), &mut m);
    } else {
        let b = boundary();
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n"
        ));
        m.push_str(&format!("--{b}\r\n"));
        body(s.text.as_deref(), s.html.as_deref(), &mut m);
        for (name, ctype, data) in &files {
            m.push_str(&format!("--{b}\r\n"));
            let disp = format!(
                "Content-Disposition: attachment; filename=\"{}\"\r\n",
                encode_word(name)
            );
            leaf(
                &format!("{ctype}; name=\"{}\"", encode_word(name)),
                &disp,
                data,
                &mut m,
            );
        }
        m.push_str(&format!("--{b}--\r\n"));
    }
    let rcpts: Vec<String> = to.iter().chain(&cc).chain(&bcc).cloned().collect();
    crate::smtp::send(&smarthost, host, &from, &rcpts, m.as_bytes(), timeouts)
        .await
        .map_err(|e| ApiError::BadGateway(e.to_string()))?;

    // The sent copy, through the same ingest path as delivery.
    let prepared = eider_store::ingest::prepare_message_deferred(
        &*st.ctx.store,
        m.as_bytes(),
        eider_mime::Limits::default(),
    )
    .await
    .map_err(|e| match e {
        eider_store::ingest::IngestError::Store(e) => ApiError::from(e),
        // The message was built here: failing to read or parse it is our fault.
        e => {
            tracing::error!(error = %e, "storing the sent copy");
            ApiError::Internal
        }
    })?;
    let flags = Flags {
        system: SystemFlags(SystemFlags::SEEN),
        ..Default::default()
    };
    let (message, pending) = prepared.into_message(flags, crate::auth::now(), 0);
    let appended = st
        .ctx
        .store
        .append_with_blobs(sent_box.id, message, pending)
        .await?;
    if let Some(o) = &original {
        let answered = Flags {
            system: SystemFlags(SystemFlags::ANSWERED),
            ..Default::default()
        };
        st.ctx
            .store
            .set_flags(o.mailbox, &[o.summary.uid], FlagOp::Add, &answered, None)
            .await?;
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "message_id": msg_id,
            "mailbox": appended.mailbox.0.to_string(),
            "uid": appended.uid.0,
            "recipients": rcpts.len(),
        })),
    ))
}
