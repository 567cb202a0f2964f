//! IDLE across processes: an IDLE session on one imapd is woken by a delivery made by another
//! process, through the Redis change bus alone (the IDLE poll is set to an hour, and the second
//! imapd's bus sees none of the shared store's local broadcasts, like a separate process).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::Client;
use eider_imapd::Options;
use eider_runtime::Context;
use eider_runtime::bus::Bus;
use eider_runtime::counters::Counters;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::mailstore::MailStore;
use eider_tests::redis_server::RedisServer;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn opts() -> Options {
    Options {
        idle_poll: Duration::from_secs(3600),
        ..Options::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_on_one_imapd_sees_a_delivery_from_another_process() {
    let Some(redis) = RedisServer::start().unwrap() else {
        return;
    };
    let poll = Duration::from_secs(3600);
    let w = World::start_opts(opts()).await;
    // The "ingest process": publishes the shared store's commits on Redis.
    let ingest_bus = Bus::redis(&redis.url(), w.store.clone(), poll).unwrap();

    // The second imapd: same store (as with a shared MongoDB), but its bus listens to a store
    // that never changes, so only Redis can wake it.
    let silent_dir = tempfile::tempdir().unwrap();
    let silent: Arc<dyn MailStore> =
        Arc::new(EmbeddedStore::open(silent_dir.path(), EmbeddedOptions::default()).unwrap());
    let imapd_bus = Bus::redis(&redis.url(), silent, poll).unwrap();
    let ctx = Context {
        config: w.config.clone(),
        store: w.store.clone(),
        bus: imapd_bus.clone(),
        counters: Counters::in_process(),
        metrics: eider_runtime::metrics::Metrics::in_process(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(eider_imapd::run_with(
        listener,
        ctx,
        w.shutdown.clone(),
        opts(),
    ));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !(ingest_bus.is_connected() && imapd_bus.is_connected()) {
        assert!(Instant::now() < deadline, "buses did not connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut c = Client::login(addr).await;
    let r = c.cmd("s", "SELECT INBOX").await;
    assert!(r.last().unwrap().starts_with("s OK"), "{r:?}");
    c.send(b"i IDLE\r\n").await;
    let r = c.response().await.unwrap();
    assert_eq!(String::from_utf8_lossy(&r).trim_end(), "+ idling");

    let started = Instant::now();
    w.deliver("INBOX", &common::sample_message(1)).await;
    let r = tokio::time::timeout(Duration::from_secs(2), c.response())
        .await
        .expect("woken within the deadline")
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&r).trim_end(), "* 1 EXISTS");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    c.send(b"DONE\r\n").await;
    let r = c.until("i").await;
    assert!(r.last().unwrap().starts_with("i OK"), "{r:?}");
}
