//! Authentication-failure throttling (`[auth] max_failures_per_user` / `_per_ip`): after N
//! failures, LOGIN and AUTHENTICATE are refused with `NO [UNAVAILABLE]` even with the right
//! password, other users and addresses are unaffected, the window ends; and two imapd servers
//! whose counters share one Redis (two `Context`s in this process, standing for two processes:
//! each has its own `Counters::redis`, exactly what `daemon::start` builds) share the count.

#![allow(clippy::unwrap_used)]

mod common;

use common::client::Client;
use common::{PASS, USER, World};
use eider_runtime::config::Config;
use eider_runtime::counters::Counters;
use eider_tests::harness;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// `\0alice\0secret-pw`, for `AUTHENTICATE PLAIN` with an initial response (RFC 4959).
const PLAIN_OK: &str = "AGFsaWNlAHNlY3JldC1wdw==";

fn limits(per_user: u32, per_ip: u32, window_secs: u64) -> impl FnOnce(&mut Config) {
    move |c| {
        c.auth.max_failures_per_user = per_user;
        c.auth.max_failures_per_ip = per_ip;
        c.auth.failure_window_secs = window_secs;
        c.auth.failure_delay_ms = 0;
    }
}

/// The tagged answer to one LOGIN on a fresh connection from `from`.
async fn login_from(addr: SocketAddr, from: IpAddr, user: &str, pass: &str) -> String {
    let (mut c, _) = Client::connect_from(addr, from).await;
    let r = c.cmd("l", &format!("LOGIN {user} {pass}")).await;
    r.last().unwrap().clone()
}

async fn login(addr: SocketAddr, user: &str, pass: &str) -> String {
    login_from(addr, [127, 0, 0, 1].into(), user, pass).await
}

#[tokio::test(flavor = "multi_thread")]
async fn user_over_the_limit_is_refused_even_with_the_right_password() {
    let w = World::start_with(limits(3, 0, 2)).await;
    w.user("bob", "bob-pw", &[]).await.unwrap();
    for _ in 0..3 {
        let r = login(w.addr, USER, "wrong").await;
        assert!(r.starts_with("l NO [AUTHENTICATIONFAILED]"), "{r}");
    }
    let r = login(w.addr, USER, PASS).await;
    assert!(
        r.starts_with("l NO [UNAVAILABLE]"),
        "right password refused: {r}"
    );
    assert!(r.contains("try again"), "{r}");
    // AUTHENTICATE goes through the same check.
    let (mut c, _) = Client::connect(w.addr).await;
    let r = c.cmd("a", &format!("AUTHENTICATE PLAIN {PLAIN_OK}")).await;
    assert!(r.last().unwrap().starts_with("a NO [UNAVAILABLE]"), "{r:?}");
    // User names are matched without case: the same key.
    let r = login(w.addr, "ALICE", PASS).await;
    assert!(r.starts_with("l NO [UNAVAILABLE]"), "{r}");
    // Another user is unaffected.
    let r = login(w.addr, "bob", "bob-pw").await;
    assert!(r.starts_with("l OK"), "{r}");
    // The window (2 s from the first failure) ends; refusals did not extend it.
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let r = c.cmd("b", &format!("AUTHENTICATE PLAIN {PLAIN_OK}")).await;
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn address_over_the_limit_is_refused_other_addresses_are_not() {
    let w = World::start_with(limits(0, 3, 60)).await;
    let (here, there): (IpAddr, IpAddr) = ([127, 0, 0, 1].into(), [127, 0, 0, 2].into());
    for name in ["x1", "x2", "x3"] {
        let r = login_from(w.addr, here, name, "guess").await;
        assert!(r.starts_with("l NO [AUTHENTICATIONFAILED]"), "{r}");
    }
    let r = login_from(w.addr, here, USER, PASS).await;
    assert!(r.starts_with("l NO [UNAVAILABLE]"), "{r}");
    let r = login_from(w.addr, there, USER, PASS).await;
    assert!(r.starts_with("l OK"), "another address: {r}");
}

#[tokio::test(flavor = "multi_thread")]
async fn refusals_count_towards_the_connection_limit() {
    let w = World::start_with(limits(1, 0, 60)).await;
    let r = login(w.addr, USER, "wrong").await;
    assert!(r.starts_with("l NO [AUTHENTICATIONFAILED]"), "{r}");
    // `[imap] max_auth_failures` (5) failures on one connection close it; refusals count.
    let (mut c, _) = Client::connect(w.addr).await;
    let mut closed = false;
    for i in 0..10 {
        c.send(format!("t{i} LOGIN {USER} {PASS}\r\n").as_bytes())
            .await;
        let mut got = Vec::new();
        while let Some(r) = c.response().await {
            let line = String::from_utf8_lossy(&r).trim_end().to_owned();
            let done = line.starts_with(&format!("t{i} "));
            got.push(line);
            if done {
                break;
            }
        }
        if got.iter().any(|l| l.starts_with("* BYE")) {
            closed = true;
            break;
        }
        assert!(got.last().unwrap().contains("NO [UNAVAILABLE]"), "{got:?}");
    }
    assert!(closed, "the connection was not closed");
}

/// An imapd over `inner`'s store with its own Redis counters (another process's view).
async fn imapd_with_redis(inner: &harness::World, url: &str) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut ctx = inner.ctx();
    ctx.counters = Counters::redis(url, Duration::from_secs(3)).unwrap();
    let fut = eider_imapd::run(listener, ctx, inner.shutdown.clone());
    tokio::spawn(async move { fut.await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn two_servers_sharing_redis_share_the_count() {
    let Some(redis) = eider_tests::redis_server::RedisServer::start().unwrap() else {
        return;
    };
    let inner = harness::World::new(limits(4, 0, 60)).unwrap();
    inner.user(USER, PASS, &[]).await.unwrap();
    let a = imapd_with_redis(&inner, &redis.url()).await;
    let b = imapd_with_redis(&inner, &redis.url()).await;
    for addr in [a, b, a, b] {
        let r = login(addr, USER, "wrong").await;
        assert!(r.starts_with("l NO [AUTHENTICATIONFAILED]"), "{r}");
    }
    // Two failures on each server: four in all, the limit.
    for addr in [a, b] {
        let r = login(addr, USER, PASS).await;
        assert!(r.starts_with("l NO [UNAVAILABLE]"), "{r}");
    }
}
