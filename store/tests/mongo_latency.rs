//! Append latency of the MongoDB backend (a measurement, not a check: `#[ignore]`d, run with
//! `EIDER_TEST_MONGODB_URL=... cargo test -p eider-store --release --test mongo_latency --
//! --ignored --nocapture`). Blobs are committed before the clock starts: only `append` is timed.
//!
//! Three shapes: sequential appends to one mailbox; 50 concurrent appends into one mailbox (they
//! conflict on its counter document and retry); 50 concurrent appends into 50 users' INBOXes
//! (no shared document).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mongo_support;

use eider_model::types::MailboxId;
use eider_model::{Flags, NewMessage};
use eider_store::mailstore::MailStore;
use eider_store_testkit::conformance::{StoreFactory, mailbox_id, make_user, simple_message};
use mongo_support::MongoFactory;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn report(what: &str, mut samples: Vec<Duration>, wall: Duration) {
    samples.sort();
    let pick = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{what}: n={} mean={mean:?} p50={:?} p95={:?} max={:?} wall={wall:?}",
        samples.len(),
        pick(0.5),
        pick(0.95),
        pick(1.0),
    );
}

async fn prepared(s: &dyn MailStore, n: u64, seed: u64) -> Vec<NewMessage> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(simple_message(s, seed + i, 2000, Flags::default()).await);
    }
    out
}

async fn concurrent(store: &Arc<dyn MailStore>, targets: Vec<(MailboxId, NewMessage)>) {
    let start = Instant::now();
    let tasks: Vec<_> = targets
        .into_iter()
        .map(|(mb, msg)| {
            let store = Arc::clone(store);
            tokio::spawn(async move {
                let t = Instant::now();
                store.append(mb, msg).await.expect("append");
                t.elapsed()
            })
        })
        .collect();
    let mut samples = Vec::new();
    for t in tasks {
        samples.push(t.await.unwrap());
    }
    let wall = start.elapsed();
    report_pair(samples, wall);
}

fn report_pair(samples: Vec<Duration>, wall: Duration) {
    let label = format!("{} concurrent appends", samples.len());
    report(&label, samples, wall);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "measurement; run explicitly with --ignored"]
async fn append_latency() {
    let Some(factory) = MongoFactory::from_env() else {
        return;
    };
    let store = factory.make().await;
    let s = store.as_ref();
    let user = make_user(s, "bench", 0).await;
    let inbox = mailbox_id(s, user.id, "INBOX").await;

    let msgs = prepared(s, 100, 1).await;
    let start = Instant::now();
    let mut samples = Vec::new();
    for msg in msgs {
        let t = Instant::now();
        s.append(inbox, msg).await.unwrap();
        samples.push(t.elapsed());
    }
    report("sequential appends, one mailbox", samples, start.elapsed());

    println!("-- 50 concurrent appends into one mailbox:");
    let msgs = prepared(s, 50, 1000).await;
    concurrent(&store, msgs.into_iter().map(|m| (inbox, m)).collect()).await;

    println!("-- 50 concurrent appends into 50 users' INBOXes:");
    let mut targets = Vec::new();
    for i in 0..50u64 {
        let u = make_user(s, &format!("u{i}"), 0).await;
        let mb = mailbox_id(s, u.id, "INBOX").await;
        targets.push((
            mb,
            simple_message(s, 5000 + i, 2000, Flags::default()).await,
        ));
    }
    concurrent(&store, targets).await;
}
