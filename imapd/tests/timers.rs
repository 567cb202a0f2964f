//! Timers and connection limits, with shortened values: the pre-login and idle timeouts end
//! the connection with BYE, IDLE sends keep-alives and honours its own timeout, and the global
//! connection limit greets extra connections with BYE.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;
use eider_imapd::Options;
use std::time::{Duration, Instant};

fn opts() -> Options {
    Options {
        pre_login_timeout: Duration::from_millis(300),
        idle_timeout: Duration::from_millis(1500),
        idle_keepalive: Duration::from_millis(400),
        ..Options::default()
    }
}

async fn text(c: &mut Client) -> Option<String> {
    c.response()
        .await
        .map(|r| String::from_utf8_lossy(&r).trim_end().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn pre_login_timeout() {
    let w = World::start_opts(opts()).await;
    let (mut c, _) = Client::connect(w.addr).await;
    let started = Instant::now();
    let r = text(&mut c).await.expect("BYE");
    assert!(r.starts_with("* BYE"), "{r}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(c.response().await.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn post_login_timeout_is_longer() {
    let w = World::start_opts(opts()).await;
    let mut c = Client::login(w.addr).await;
    // Past the pre-login timeout the logged-in session is still there.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = c.cmd("n", "NOOP").await;
    assert_eq!(r, ["n OK NOOP completed"]);
    let started = Instant::now();
    let r = text(&mut c).await.expect("BYE");
    assert!(r.starts_with("* BYE"), "{r}");
    assert!(
        started.elapsed() >= Duration::from_millis(1000),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_keepalive_and_timeout() {
    let w = World::start_opts(opts()).await;
    let mut c = Client::login(w.addr).await;
    c.cmd("s", "SELECT INBOX").await;
    c.send(b"i IDLE\r\n").await;
    assert_eq!(text(&mut c).await.unwrap(), "+ idling");
    let mut keepalives = 0;
    loop {
        let r = text(&mut c).await.expect("BYE before close");
        if r.starts_with("* BYE") {
            break;
        }
        assert_eq!(r, "* OK Still here");
        keepalives += 1;
    }
    assert!(keepalives >= 2, "{keepalives}");
}

#[tokio::test(flavor = "multi_thread")]
async fn global_connection_limit() {
    let w = World::start_opts(Options {
        max_connections: 2,
        ..Options::default()
    })
    .await;
    let (_a, _) = Client::connect(w.addr).await;
    let (_b, g) = Client::connect(w.addr).await;
    assert!(g.starts_with("* OK"), "{g}");
    let (mut c, g) = Client::connect(w.addr).await;
    assert!(g.starts_with("* BYE [UNAVAILABLE]"), "{g}");
    assert!(c.response().await.is_none());
}
