//! Spam training signals: moving messages into the `\Junk` mailbox through the API emits
//! `marked.spam`, out of it `marked.ham`, to the user's event stream and to every registered
//! webhook (`POST /webhooks`, operator). Webhooks are POSTed the JSON event with
//! `X-Eider-Event` and `X-Eider-Signature: sha256=<hex HMAC-SHA256 of the body with the hook's
//! secret>`, retried with backoff until a 2xx or [`ATTEMPTS`] tries.
//!
//! Limits (documented in docs/api.md): moves made over IMAP do not emit these events yet; the
//! webhook registry lives in this process's memory (lost on restart); only `http://` URLs are
//! delivered (the API process has no TLS client).

use crate::auth::{Principal, now};
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use eider_common::model::{Mailbox, SpecialUse};
use eider_common::types::{Uid, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Delivery attempts per event and hook.
pub const ATTEMPTS: u32 = 5;

#[derive(Clone, Debug, Serialize)]
pub struct JunkEvent {
    #[serde(skip)]
    pub user: UserId,
    pub event: &'static str,
    pub user_id: String,
    pub from_mailbox: String,
    pub to_mailbox: String,
    /// `[old uid, new uid]` pairs.
    pub messages: Vec<[u32; 2]>,
    pub at: i64,
}

/// The event a move from `from` to `to` means, if any.
pub fn classify(from: &Mailbox, to: &Mailbox) -> Option<&'static str> {
    let junk = |m: &Mailbox| m.special_use == Some(SpecialUse::Junk);
    match (junk(from), junk(to)) {
        (false, true) => Some("marked.spam"),
        (true, false) => Some("marked.ham"),
        _ => None,
    }
}

#[derive(Clone, Debug)]
struct Hook {
    url: String,
    secret: String,
    events: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Webhooks {
    next: Mutex<u64>,
    hooks: Mutex<BTreeMap<u64, Hook>>,
}

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.map(|x| x ^ b);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// Publishes an event to the stream and schedules webhook deliveries.
pub fn emit(st: &AppState, from: &Mailbox, to: &Mailbox, mapping: &[(Uid, Uid)]) {
    let Some(event) = classify(from, to) else {
        return;
    };
    let ev = JunkEvent {
        user: from.user,
        event,
        user_id: from.user.0.to_string(),
        from_mailbox: from.id.0.to_string(),
        to_mailbox: to.id.0.to_string(),
        messages: mapping.iter().map(|(a, b)| [a.0, b.0]).collect(),
        at: now(),
    };
    let _ = st.junk.send(ev.clone());
    let hooks: Vec<Hook> = st
        .webhooks
        .hooks
        .lock()
        .map(|h| h.values().cloned().collect())
        .unwrap_or_default();
    let body = json!(ev).to_string();
    for hook in hooks
        .into_iter()
        .filter(|h| h.events.is_empty() || h.events.iter().any(|e| e == event))
    {
        let body = body.clone();
        let shutdown = st.shutdown.clone();
        tokio::spawn(async move {
            let sig = hex::encode(hmac_sha256(hook.secret.as_bytes(), body.as_bytes()));
            let client = reqwest::Client::new();
            let mut wait = Duration::from_millis(200);
            for attempt in 1..=ATTEMPTS {
                let sent = client
                    .post(&hook.url)
                    .header("content-type", "application/json")
                    .header("x-eider-event", event)
                    .header("x-eider-signature", format!("sha256={sig}"))
                    .timeout(Duration::from_secs(10))
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) => {
                        tracing::warn!(url = %hook.url, attempt, status = %r.status(), "webhook refused")
                    }
                    Err(e) => {
                        tracing::warn!(url = %hook.url, attempt, error = %e, "webhook failed")
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = shutdown.cancelled() => return,
                }
                wait *= 4;
            }
        });
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    url: String,
    secret: String,
    #[serde(default)]
    events: Vec<String>,
}

fn view(id: u64, h: &Hook) -> Value {
    json!({"id": id.to_string(), "url": h.url, "events": h.events})
}

pub async fn create(
    p: Principal,
    State(st): State<AppState>,
    JsonBody(n): JsonBody<NewHook>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    p.require_operator()?;
    let valid_url = n
        .url
        .strip_prefix("http://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        && n.url.parse::<reqwest::Url>().is_ok();
    if !valid_url {
        return Err(ApiError::BadRequest("url must be an http:// URL".into()));
    }
    if n.secret.len() < 16 {
        return Err(ApiError::BadRequest(
            "secret must be at least 16 bytes".into(),
        ));
    }
    if let Some(e) = n
        .events
        .iter()
        .find(|e| !matches!(e.as_str(), "marked.spam" | "marked.ham"))
    {
        return Err(ApiError::BadRequest(format!("unknown event {e:?}")));
    }
    let hook = Hook {
        url: n.url,
        secret: n.secret,
        events: n.events,
    };
    let id = {
        let mut next = st.webhooks.next.lock().map_err(|_| ApiError::Internal)?;
        *next += 1;
        *next
    };
    let v = view(id, &hook);
    st.webhooks
        .hooks
        .lock()
        .map_err(|_| ApiError::Internal)?
        .insert(id, hook);
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn list(p: Principal, State(st): State<AppState>) -> ApiResult<Json<Value>> {
    p.require_operator()?;
    let hooks = st.webhooks.hooks.lock().map_err(|_| ApiError::Internal)?;
    let items: Vec<Value> = hooks.iter().map(|(id, h)| view(*id, h)).collect();
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn delete(
    p: Principal,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let missing = || ApiError::NotFound(format!("webhook {id}"));
    let n: u64 = id.parse().map_err(|_| missing())?;
    let removed = st
        .webhooks
        .hooks
        .lock()
        .map_err(|_| ApiError::Internal)?
        .remove(&n);
    removed.map(|_| StatusCode::NO_CONTENT).ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test cases 1 and 6 (key longer than the block).
    #[test]
    fn hmac_vectors() {
        let cases: [(&[u8], &[u8], &str); 2] = [
            (
                &[0x0b; 20],
                b"Hi There",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
            ),
            (
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
            ),
        ];
        for (key, msg, want) in cases {
            assert_eq!(hex::encode(hmac_sha256(key, msg)), want);
        }
    }
}
