//! `POST /authenticate` under the failure limits (`[auth] max_failures_per_user` / `_per_ip`):
//! after N failures even the right password gets 429 with `Retry-After`, other users and
//! addresses are unaffected, and the window ends.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::Api;
use serde_json::json;
use std::net::IpAddr;
use std::time::Duration;

async fn api(per_user: u32, per_ip: u32, window_secs: u64) -> Api {
    Api::start_with(move |c| {
        c.auth.max_failures_per_user = per_user;
        c.auth.max_failures_per_ip = per_ip;
        c.auth.failure_window_secs = window_secs;
        c.auth.failure_delay_ms = 0;
    })
    .await
}

/// `POST /authenticate` from `from`; the status and the `Retry-After` header.
async fn authenticate(api: &Api, from: IpAddr, user: &str, pass: &str) -> (u16, Option<String>) {
    let http = reqwest::Client::builder()
        .local_address(from)
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/authenticate", api.base))
        .json(&json!({"username": user, "password": pass}))
        .send()
        .await
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (r.status().as_u16(), retry)
}

const HERE: [u8; 4] = [127, 0, 0, 1];
const THERE: [u8; 4] = [127, 0, 0, 2];

#[tokio::test]
async fn user_over_the_limit_gets_429_even_with_the_right_password() {
    let api = api(3, 0, 2).await;
    api.user("alice", "secret", &[]).await;
    api.user("bob", "secret2", &[]).await;
    for _ in 0..3 {
        let (status, _) = authenticate(&api, HERE.into(), "alice", "nope").await;
        assert_eq!(status, 401);
    }
    let (status, retry) = authenticate(&api, HERE.into(), "alice", "secret").await;
    assert_eq!((status, retry.as_deref()), (429, Some("2")));
    let (status, _) = authenticate(&api, THERE.into(), "Alice", "secret").await;
    assert_eq!(status, 429, "from anywhere, in any case");
    let (status, _) = authenticate(&api, HERE.into(), "bob", "secret2").await;
    assert_eq!(status, 200, "another user");
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let (status, _) = authenticate(&api, HERE.into(), "alice", "secret").await;
    assert_eq!(status, 200, "window over");
}

#[tokio::test]
async fn address_over_the_limit_gets_429_other_addresses_do_not() {
    let api = api(0, 2, 60).await;
    api.user("alice", "secret", &[]).await;
    for name in ["x1", "x2"] {
        let (status, _) = authenticate(&api, HERE.into(), name, "guess").await;
        assert_eq!(status, 401);
    }
    let (status, retry) = authenticate(&api, HERE.into(), "alice", "secret").await;
    assert_eq!((status, retry.as_deref()), (429, Some("60")));
    let (status, _) = authenticate(&api, THERE.into(), "alice", "secret").await;
    assert_eq!(status, 200, "another address");
}

/// Issue #14: argon2 ran in the request handler, so a burst of logins held every async worker
/// and `/health` (and every other protocol of `eider serve`) waited for the whole burst. Now the
/// verifications run on the blocking pool and `/health` answers while they are still going.
/// The clients run on a runtime of their own, so only the server's workers are measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_burst_does_not_stall_other_requests() {
    let api = api(0, 0, 60).await;
    api.user("alice", "secret", &[]).await;
    const BURST: usize = 48;
    let clients = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let verified = eider_runtime::password::verifications();
    let logins: Vec<_> = (0..BURST)
        .map(|_| {
            let (http, base, done) = (api.http.clone(), api.base.clone(), done.clone());
            clients.spawn(async move {
                let r = http
                    .post(format!("{base}/authenticate"))
                    .json(&json!({"username": "alice", "password": "wrong"}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 401);
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let health = {
        let (http, base, done) = (api.http.clone(), api.base.clone(), done.clone());
        clients.spawn(async move {
            // Ask once the burst is verifying passwords.
            while eider_runtime::password::verifications() < verified + 4 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            let asked = std::time::Instant::now();
            let r = http.get(format!("{base}/health")).send().await.unwrap();
            assert_eq!(r.status(), 200);
            (
                asked.elapsed(),
                done.load(std::sync::atomic::Ordering::SeqCst),
            )
        })
    };
    let (health, finished_meanwhile) = health.await.unwrap();
    for l in logins {
        l.await.unwrap();
    }
    clients.shutdown_background();
    assert!(
        health < Duration::from_millis(300),
        "/health took {health:?} during a login burst"
    );
    assert!(
        finished_meanwhile < BURST / 2,
        "{finished_meanwhile} logins were over before /health answered: the test proves nothing"
    );
}
