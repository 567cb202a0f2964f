//! Issue #14, racing past the failure limit: 100 concurrent wrong LOGINs for one user all had
//! their password checked (limit 10), because the failure count was read before and written
//! after the check. Now each attempt is counted before the check (`eider_runtime::auth_limit`),
//! so at most the limit are verified, in process and across processes sharing Redis.
//! One test in this binary: it counts the process's password verifications exactly.

#![allow(clippy::unwrap_used)]

mod common;

use common::client::Client;
use common::{PASS, USER};
use eider_runtime::config::Config;
use eider_runtime::counters::Counters;
use eider_runtime::password::verifications;
use eider_tests::harness;
use std::net::SocketAddr;
use std::time::Duration;

const LIMIT: u32 = 10;
const ATTEMPTS: usize = 100;

fn limits(c: &mut Config) {
    c.auth.max_failures_per_user = LIMIT;
    c.auth.max_failures_per_ip = 0;
    c.auth.failure_window_secs = 60;
    c.auth.failure_delay_ms = 0;
    c.imap.max_connections_per_address = 0;
}

/// `ATTEMPTS` wrong LOGINs at once, spread over `servers`; returns the passwords verified.
async fn race(servers: &[SocketAddr]) -> u64 {
    let before = verifications();
    let tasks: Vec<_> = (0..ATTEMPTS)
        .map(|i| {
            let addr = servers[i % servers.len()];
            tokio::spawn(async move {
                let (mut c, _) = Client::connect(addr).await;
                let r = c.cmd("l", &format!("LOGIN {USER} wrong{i}")).await;
                let last = r.last().unwrap().clone();
                assert!(last.starts_with("l NO"), "{last}");
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    verifications() - before
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_wrong_logins_check_at_most_the_limit() {
    // In process.
    // All 100 clients come from 127.0.0.1: the listener's per-address cap is not under test.
    let opts = eider_imapd::Options {
        max_connections_per_address: None,
        ..Default::default()
    };
    let w = common::World::start_full(limits, opts).await;
    let checked = race(&[w.addr]).await;
    assert_eq!(checked, u64::from(LIMIT), "passwords verified in process");
    let (mut c, _) = Client::connect(w.addr).await;
    let r = c.cmd("l", &format!("LOGIN {USER} {PASS}")).await;
    assert!(r.last().unwrap().starts_with("l NO [UNAVAILABLE]"), "{r:?}");

    // Two servers sharing Redis (two processes' counters).
    let Some(redis) = eider_tests::redis_server::RedisServer::start().unwrap() else {
        return;
    };
    let inner = harness::World::new(limits).unwrap();
    inner.user(USER, PASS, &[]).await.unwrap();
    let a = imapd_with_redis(&inner, &redis.url()).await;
    let b = imapd_with_redis(&inner, &redis.url()).await;
    let checked = race(&[a, b]).await;
    assert_eq!(checked, u64::from(LIMIT), "passwords verified across Redis");
}
