//! Issue #14, user enumeration by timing: unknown and disabled users skipped the password hash,
//! so their logins answered faster than a real user's. Every `POST /authenticate` now costs one
//! verification of an argon2id hash with the real parameters (`eider_runtime::credentials`).
//! One test in this binary: it counts the process's verifications exactly.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use eider_runtime::password::verifications;
use reqwest::Method;
use serde_json::json;

async fn authenticate(api: &Api, user: &str, pass: &str) -> u16 {
    let r = api
        .req(Method::POST, "/authenticate", None)
        .json(&json!({"username": user, "password": pass}))
        .send()
        .await
        .unwrap();
    r.status().as_u16()
}

#[tokio::test]
async fn unknown_disabled_and_real_users_cost_one_verification_each() {
    let api = Api::start_with(|c| {
        c.auth.max_failures_per_user = 0;
        c.auth.max_failures_per_ip = 0;
        c.auth.failure_delay_ms = 0;
    })
    .await;
    api.user("alice", "secret", &[]).await;
    let bob = api.user("bob", "secret", &[]).await;
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{bob}"),
            OP,
            json!({"disabled": true}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());

    let cases = [
        ("nobody", "secret", 401),
        ("bob", "secret", 401),
        ("bob", "wrong", 401),
        ("alice", "wrong", 401),
        ("alice", "secret", 200),
    ];
    for (user, pass, status) in cases {
        let before = verifications();
        assert_eq!(
            authenticate(&api, user, pass).await,
            status,
            "{user}/{pass}"
        );
        assert_eq!(verifications() - before, 1, "{user}/{pass}: verifications");
    }
}
