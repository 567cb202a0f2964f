//! User tokens and webhooks live in the store: a token issued by one API instance works on
//! another, revocation (explicit, password change, disable, delete) reaches every instance,
//! and a restart on the embedded store keeps tokens and webhooks.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_store::MailStore;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

async fn status(http: &Client, method: Method, url: &str, token: &str) -> StatusCode {
    http.request(method, url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn me(http: &Client, base: &str, token: &str) -> StatusCode {
    status(http, Method::GET, &format!("{base}/users/me"), token).await
}

#[tokio::test]
async fn tokens_are_shared_by_instances_and_revoked_everywhere() {
    let api = Api::start().await;
    let b = format!("http://{}", api.world.spawn(eider_api::run).await.unwrap());
    let a = api.base.clone();
    let h = &api.http;
    let alice = api.user("alice", "pw", &[]).await;
    let t1 = api.login("alice", "pw").await;
    assert!(t1.starts_with(&format!("{alice}.")), "{t1}");
    assert_eq!(
        me(h, &b, &t1).await,
        StatusCode::OK,
        "issued on A, used on B"
    );
    // Malformed or forged tokens.
    for bad in [
        "x",
        &format!("{alice}.{}", "0".repeat(64)),
        &t1[..t1.len() - 1],
    ] {
        assert_eq!(me(h, &b, bad).await, StatusCode::UNAUTHORIZED, "{bad}");
    }
    // Another user's id in front of a valid secret does not work either.
    let bob = api.user("bob", "pw", &[]).await;
    let forged = t1.replacen(&alice, &bob, 1);
    assert_eq!(me(h, &a, &forged).await, StatusCode::UNAUTHORIZED);

    // Revoked on B: refused on A.
    let del = status(h, Method::DELETE, &format!("{b}/authenticate"), &t1).await;
    assert_eq!(del, StatusCode::NO_CONTENT);
    assert_eq!(me(h, &a, &t1).await, StatusCode::UNAUTHORIZED);

    // Password change on B revokes every token of the user, issued anywhere.
    let t2 = api.login("alice", "pw").await;
    let t3 = api.login("alice", "pw").await;
    let tb = api.login("bob", "pw").await;
    // Issue #14: a user token alone used to change the password. Without the current password,
    // or with a wrong one, it is refused and nothing changes.
    for body in [
        json!({"password": "stolen"}),
        json!({"password": "stolen", "current_password": "guess"}),
    ] {
        let r = h
            .put(format!("{b}/users/me"))
            .bearer_auth(&t2)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{body}");
    }
    assert_eq!(me(h, &a, &t2).await, StatusCode::OK, "nothing changed");
    let r = h
        .put(format!("{b}/users/me"))
        .bearer_auth(&t2)
        .json(&json!({"password": "new", "current_password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for t in [&t2, &t3] {
        assert_eq!(me(h, &a, t).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        me(h, &a, &tb).await,
        StatusCode::OK,
        "other users keep theirs"
    );

    // Disabling and deleting, by the operator on A, take effect on B.
    let t4 = api.login("alice", "new").await;
    let r = api
        .json(
            Method::PUT,
            &format!("/users/{alice}"),
            OP,
            json!({"disabled": true}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(me(h, &b, &t4).await, StatusCode::UNAUTHORIZED);
    let r = api
        .req(Method::DELETE, &format!("/users/{bob}"), Some(OP))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(me(h, &b, &tb).await, StatusCode::UNAUTHORIZED);
}

/// Opens the embedded store in `dir`, waiting for a previous handle to let go of its lock.
async fn reopen(dir: &Path) -> Arc<dyn MailStore> {
    for _ in 0..100 {
        if let Ok(s) = EmbeddedStore::open(dir, EmbeddedOptions::default()) {
            return Arc::new(s);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("store still locked");
}

/// Runs an API on `store` until the returned token is cancelled; returns its base URL.
async fn serve(config: &Arc<Config>, store: Arc<dyn MailStore>) -> (String, Shutdown) {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    let stop = Shutdown::new();
    let ctx = Context::new(config.clone(), store);
    tokio::spawn(eider_api::run(l, ctx, stop.clone()));
    (base, stop)
}

#[tokio::test]
async fn tokens_and_webhooks_survive_a_restart() {
    eider_runtime::transport::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    config.api.operator_tokens = vec![OP.into()];
    let config = Arc::new(config);
    let http = Client::new();

    let (base, stop) = serve(&config, reopen(dir.path()).await).await;
    let r = http
        .post(format!("{base}/users"))
        .bearer_auth(OP)
        .json(&json!({"username": "dave", "password": "pw"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let r = http
        .post(format!("{base}/authenticate"))
        .json(&json!({"username": "dave", "password": "pw"}))
        .send()
        .await
        .unwrap();
    let login: Value = r.json().await.unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let revoked = http
        .post(format!("{base}/authenticate"))
        .json(&json!({"username": "dave", "password": "pw"}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let del = status(
        &http,
        Method::DELETE,
        &format!("{base}/authenticate"),
        &revoked,
    )
    .await;
    assert_eq!(del, StatusCode::NO_CONTENT);
    let r = http
        .post(format!("{base}/webhooks"))
        .bearer_auth(OP)
        .json(&json!({"url": "http://127.0.0.1:9/h", "secret": "0123456789abcdef"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let hook: Value = r.json().await.unwrap();
    stop.cancel();

    // A new process on the same data directory.
    let (base, stop) = serve(&config, reopen(dir.path()).await).await;
    assert_eq!(me(&http, &base, &token).await, StatusCode::OK);
    assert_eq!(me(&http, &base, &revoked).await, StatusCode::UNAUTHORIZED);
    let list: Value = http
        .get(format!("{base}/webhooks"))
        .bearer_auth(OP)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([hook]));
    stop.cancel();
}

#[tokio::test]
async fn expired_tokens_are_refused_on_every_instance() {
    let api = Api::start_with(|c| c.api.token_lifetime_secs = 1).await;
    let b = format!("http://{}", api.world.spawn(eider_api::run).await.unwrap());
    api.user("erin", "pw", &[]).await;
    let t = api.login("erin", "pw").await;
    assert_eq!(me(&api.http, &b, &t).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(me(&api.http, &b, &t).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&api.http, &api.base, &t).await, StatusCode::UNAUTHORIZED);
}
