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
