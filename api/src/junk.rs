//! Webhooks for spam training signals: registration (`POST/GET /webhooks`,
//! `DELETE /webhooks/{id}`, operator only), stored in the store as records `webhook/{id}` so
//! every API process sees the same set and a restart keeps it, and the delivery of one event to
//! every matching hook: a JSON POST with `X-Eider-Event` and `X-Eider-Signature: sha256=<hex
//! HMAC-SHA256 of the body with the hook's secret>`, retried with backoff until a 2xx or
//! [`ATTEMPTS`] tries. Which process delivers which event is decided by the outbox claim
//! (`crate::outbox`); `http://` and `https://` URLs are accepted (TLS by rustls with the Mozilla
//! roots plus `[api] webhook_ca`).

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use eider_runtime::transport::crypto_provider;
use eider_store::MailStore;
use eider_store::StoreResult;
use eider_store::junk::{HAM, SPAM};
use rand::Rng;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Delivery attempts per event and hook.
pub const ATTEMPTS: u32 = 5;
/// Record key prefix of the registered hooks.
const PREFIX: &str = "webhook/";
/// Most hooks listed or delivered to.
const MAX_HOOKS: usize = 1000;

/// A registered hook as stored (JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Hook {
    url: String,
    secret: String,
    #[serde(default)]
    events: Vec<String>,
}

impl Hook {
    fn wants(&self, event: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| e == event)
    }
}

/// Every registered hook, by id (skipping unreadable records, which are logged).
pub async fn hooks(store: &dyn MailStore) -> StoreResult<Vec<(String, Hook)>> {
    let records = store.record_list(PREFIX, None, MAX_HOOKS).await?;
    Ok(records
        .into_iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix(PREFIX)?.to_string();
            match serde_json::from_slice(&v) {
                Ok(h) => Some((id, h)),
                Err(e) => {
                    tracing::error!(key = %k, error = %e, "unreadable webhook record");
                    None
                }
            }
        })
        .collect())
}

/// The HTTP client for deliveries: rustls (ring) trusting the Mozilla roots and the PEM
/// certificates in `extra_ca` (a file path; empty for none).
pub fn http_client(extra_ca: &str) -> anyhow::Result<reqwest::Client> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if !extra_ca.is_empty() {
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(extra_ca)
            .map_err(|e| anyhow::anyhow!("[api] webhook_ca {extra_ca}: {e}"))?
        {
            let cert = cert.map_err(|e| anyhow::anyhow!("[api] webhook_ca {extra_ca}: {e}"))?;
            roots.add(cert)?;
            added += 1;
        }
        anyhow::ensure!(added > 0, "[api] webhook_ca {extra_ca}: no certificate");
    }
    let tls = rustls::ClientConfig::builder_with_provider(crypto_provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        // A redirect would re-send (or turn into a GET) a signed body to a URL the operator
        // never registered: a non-2xx answer is a failed attempt instead.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()?)
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

/// What of a hook URL may be logged: its scheme, host and port. User info, path and query may
/// hold credentials (`https://user:pass@…`, `…?token=…`).
fn log_target(url: &str) -> String {
    let Ok(u) = reqwest::Url::parse(url) else {
        return "(invalid url)".into();
    };
    let host = u.host_str().unwrap_or("");
    match u.port() {
        Some(port) => format!("{}://{host}:{port}", u.scheme()),
        None => format!("{}://{host}", u.scheme()),
    }
}

/// Delivers one event (`body`, named `event`) to every hook that wants it, each with retries.
/// Returns `false` if `stop` cut it short (the event must then be delivered again).
pub async fn deliver(
    client: &reqwest::Client,
    hooks: &[(String, Hook)],
    event: &str,
    body: &str,
    stop: &CancellationToken,
) -> bool {
    let sends = hooks
        .iter()
        .filter(|(_, h)| h.wants(event))
        .map(|(id, h)| deliver_one(client, id, h, event, body, stop));
    futures::future::join_all(sends)
        .await
        .into_iter()
        .all(|ok| ok)
}

async fn deliver_one(
    client: &reqwest::Client,
    id: &str,
    hook: &Hook,
    event: &str,
    body: &str,
    stop: &CancellationToken,
) -> bool {
    let sig = hex::encode(hmac_sha256(hook.secret.as_bytes(), body.as_bytes()));
    let mut wait = Duration::from_millis(200);
    for attempt in 1..=ATTEMPTS {
        let sent = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-eider-event", event)
            .header("x-eider-signature", format!("sha256={sig}"))
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => {
                let target = log_target(&hook.url);
                tracing::warn!(hook = id, %target, attempt, status = %r.status(), "webhook refused");
            }
            Err(e) => {
                // reqwest's errors name the full URL, whose user info, path or query may be the
                // receiver's credentials: log the scheme and host only.
                let (target, e) = (log_target(&hook.url), e.without_url());
                tracing::warn!(hook = id, %target, attempt, error = %e, "webhook failed");
            }
        }
        if attempt == ATTEMPTS {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = stop.cancelled() => return false,
        }
        wait *= 4;
    }
    tracing::error!(
        hook = id,
        event,
        "webhook delivery given up after {ATTEMPTS} attempts"
    );
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewHook {
    url: String,
    secret: String,
    #[serde(default)]
    events: Vec<String>,
}

fn view(id: &str, h: &Hook) -> Value {
    json!({"id": id, "url": h.url, "events": h.events})
}

fn valid_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
        && url
            .parse::<reqwest::Url>()
            .is_ok_and(|u| u.host().is_some())
}

pub async fn create(
    p: Principal,
    State(st): State<AppState>,
    JsonBody(n): JsonBody<NewHook>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    p.require_operator()?;
    if !valid_url(&n.url) {
        return Err(ApiError::BadRequest(
            "url must be an http:// or https:// URL".into(),
        ));
    }
    if n.secret.len() < 16 {
        return Err(ApiError::BadRequest(
            "secret must be at least 16 bytes".into(),
        ));
    }
    if let Some(e) = n.events.iter().find(|e| ![SPAM, HAM].contains(&e.as_str())) {
        return Err(ApiError::BadRequest(format!("unknown event {e:?}")));
    }
    let hook = Hook {
        url: n.url,
        secret: n.secret,
        events: n.events,
    };
    // Creation time first, so the store's key order lists hooks oldest first.
    let millis = chrono::Utc::now().timestamp_millis().max(0);
    let id = format!("{millis:012x}{:08x}", rand::thread_rng().r#gen::<u32>());
    let value = serde_json::to_vec(&hook).map_err(|_| ApiError::Internal)?;
    st.ctx
        .store
        .record_put(&format!("{PREFIX}{id}"), value, None)
        .await?;
    Ok((StatusCode::CREATED, Json(view(&id, &hook))))
}

pub async fn list(p: Principal, State(st): State<AppState>) -> ApiResult<Json<Value>> {
    p.require_operator()?;
    let items: Vec<Value> = hooks(st.ctx.store.as_ref())
        .await?
        .iter()
        .map(|(id, h)| view(id, h))
        .collect();
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

pub async fn delete(
    p: Principal,
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let missing = || ApiError::NotFound(format!("webhook {id}"));
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(missing());
    }
    if st.ctx.store.record_delete(&format!("{PREFIX}{id}")).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(missing())
    }
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

    /// Issue #14: a failing webhook logged its full URL at WARN, credentials included.
    #[tokio::test]
    async fn failures_log_scheme_and_host_only() {
        use std::sync::{Arc, Mutex};
        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        // A port nobody listens on: the connection is refused at once.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let hook = Hook {
            url: format!("http://hookuser:s3cret@127.0.0.1:{port}/p4th?token=t0ken"),
            secret: "k".into(),
            events: Vec::new(),
        };
        let stop = CancellationToken::new();
        stop.cancel();
        let client = http_client("").unwrap();
        assert!(!deliver_one(&client, "h1", &hook, "spam", "{}", &stop).await);
        let logged = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert!(logged.contains("webhook failed"), "{logged}");
        assert!(
            logged.contains(&format!("http://127.0.0.1:{port}")),
            "{logged}"
        );
        for secret in ["hookuser", "s3cret", "p4th", "t0ken"] {
            assert!(!logged.contains(secret), "{secret} logged: {logged}");
        }
    }
}
