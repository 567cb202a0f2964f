//! `redis+cluster://` URLs against a real three-master Redis Cluster (private, random ports): the
//! counters and bus tests of `redis.rs` again, two `Counters`/`Bus` instances standing for two
//! processes, with keys spread over the three nodes.

use eider_model::StoreEvent;
use eider_model::types::UserId;
use eider_runtime::bus::{Bus, BusMessage, BusReceiver};
use eider_runtime::counters::Counters;
use eider_tests::harness::World;
use eider_tests::redis_cluster::RedisCluster;
use std::time::{Duration, Instant};

const POLL: Duration = Duration::from_millis(200);

/// Enough keys that, with the slots split in three ranges, every node holds some (a node gets
/// none of 40 random slots with probability 3 × (2/3)^40 ≈ 3e-7).
fn users() -> Vec<String> {
    (0..40).map(|i| format!("user{i}")).collect()
}

fn cluster() -> Option<RedisCluster> {
    RedisCluster::start().expect("redis cluster")
}

/// How many of the three nodes hold a key matching `pattern`.
fn nodes_holding(cluster: &RedisCluster, pattern: &str) -> usize {
    let keys: Vec<Vec<String>> = (0..3).map(|i| cluster.keys_on(i, pattern)).collect();
    println!("{pattern} per node: {keys:?}");
    keys.iter().filter(|k| !k.is_empty()).count()
}

#[tokio::test]
async fn leases_are_counted_across_processes_on_every_node() {
    let Some(cluster) = cluster() else {
        return;
    };
    let ttl = Duration::from_secs(1);
    let a = Counters::redis(&cluster.url(), ttl).expect("a");
    let b = Counters::redis(&cluster.url(), ttl).expect("b");
    let mut held = Vec::new();
    for user in &users() {
        let lease = a.acquire(user, 2).await.expect("first");
        assert!(lease.is_shared(), "{user}: counted in the cluster");
        held.push(lease);
        held.push(b.acquire(user, 2).await.expect("second"));
        assert!(
            a.acquire(user, 2).await.is_none(),
            "{user}: limit 2 across both"
        );
    }
    assert_eq!(
        nodes_holding(&cluster, "eider:conn:*"),
        3,
        "sets on every node"
    );
    // Held past several TTLs: the heartbeat (one pipeline per slot) keeps all of them alive.
    tokio::time::sleep(ttl * 3).await;
    for user in &users() {
        assert!(b.acquire(user, 2).await.is_none(), "{user}: still held");
    }
    held.truncate(held.len() - 2); // the last user's two leases
    let deadline = Instant::now() + Duration::from_millis(500);
    let again = loop {
        if let Some(l) = b.acquire("user39", 2).await {
            break l;
        }
        assert!(Instant::now() < deadline, "drop did not release");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(again.is_shared());

    // A crashed process's leases expire.
    let crashed = Counters::redis(&cluster.url(), ttl).expect("c");
    std::mem::forget(crashed.acquire("zed", 1).await.expect("lease"));
    drop(crashed);
    assert!(b.acquire("zed", 1).await.is_none());
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert!(b.acquire("zed", 1).await.is_some(), "expired after the TTL");
}

#[tokio::test]
async fn auth_failures_and_downloads_are_shared_on_a_cluster() {
    let Some(cluster) = cluster() else {
        return;
    };
    // Different seed lists: the counters find every node from any of them.
    let a = Counters::redis(&cluster.url_of(&[0]), Duration::from_secs(5)).expect("a");
    let b = Counters::redis(&cluster.url_of(&[2, 1]), Duration::from_secs(5)).expect("b");
    let window = Duration::from_millis(700);
    for user in &users() {
        let key = format!("user:{user}");
        let user = user.as_str();
        assert_eq!(a.auth_failures(&key).await, 0);
        assert_eq!(a.auth_failed(&key, window).await, 1);
        assert_eq!(b.auth_failed(&key, window).await, 2, "{key}");
        assert_eq!(a.auth_failures(&key).await, 2);
        assert_eq!(a.add_download(user, 100).await, 100);
        assert_eq!(b.add_download(user, 50).await, 150, "{user}");
        assert_eq!(a.downloaded_today(user).await, 150);
    }
    assert_eq!(nodes_holding(&cluster, "eider:authfail:*"), 3);
    assert_eq!(nodes_holding(&cluster, "eider:dl:*"), 3);
    tokio::time::sleep(window + Duration::from_millis(200)).await;
    assert_eq!(a.auth_failures("user:user0").await, 0, "window over");
    assert_eq!(b.auth_failed("user:user0", window).await, 1, "new window");
}

/// A store change: creating and deleting a mailbox emits one event (from the delete).
async fn change(world: &World, user: UserId, n: u32) -> StoreEvent {
    let mb = world
        .store
        .create_mailbox(user, &format!("Tmp{n}"), None)
        .await
        .expect("create");
    world.store.delete_mailbox(mb.id).await.expect("delete");
    StoreEvent {
        user,
        mailbox: mb.id,
        modseq: eider_model::types::ModSeq(0),
    }
}

/// Whether a `Changed` for `mailbox` arrives within `within`.
async fn hears(rx: &mut BusReceiver, mailbox: StoreEvent, within: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(BusMessage::Changed(ev))) if ev.mailbox == mailbox.mailbox => return true,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    }
}

async fn wait_connected(buses: &[&Bus]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !buses.iter().all(|b| b.is_connected()) {
        assert!(Instant::now() < deadline, "bus did not (re)connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn bus_events_cross_nodes_and_survive_a_subscriber_node_crash() {
    let Some(mut cluster) = cluster() else {
        return;
    };
    let (w1, w2) = (
        World::new(|_| {}).expect("w1"),
        World::new(|_| {}).expect("w2"),
    );
    // a talks only to node 0, b to node 1 then node 2: a's PUBLISH on node 0 must cross the
    // cluster bus to reach b's subscription.
    let a = Bus::redis(&cluster.url_of(&[0]), w1.store.clone(), POLL).expect("bus a");
    let b = Bus::redis(&cluster.url_of(&[1, 2]), w2.store.clone(), POLL).expect("bus b");
    wait_connected(&[&a, &b]).await;
    let u1 = w1.user("alice", "pw", &[]).await.expect("user").id;
    let u2 = w2.user("bob", "pw", &[]).await.expect("user").id;
    let mut rx_a = a.subscribe();
    let mut rx_b = b.subscribe();
    let sent = change(&w1, u1, 1).await;
    assert!(
        hears(&mut rx_b, sent, Duration::from_secs(1)).await,
        "b hears a"
    );
    let sent = change(&w2, u2, 2).await;
    assert!(
        hears(&mut rx_a, sent, Duration::from_secs(1)).await,
        "a hears b"
    );

    // The node b subscribed to (1 or 2, whichever it took first) dies: b's subscriber moves to
    // the other seed; events published through node 0 reach it again.
    cluster.kill(1);
    let start = Instant::now();
    let mut n = 3;
    loop {
        let sent = change(&w1, u1, n).await;
        if hears(&mut rx_b, sent, Duration::from_millis(500)).await {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no event after the node crash"
        );
        n += 1;
    }
}

/// The sample line of `name` from `instance` in a `/metrics` text, if present.
fn sample(text: &str, name: &str, instance: &str) -> Option<String> {
    text.lines()
        .find(|l| {
            l.starts_with(&format!("{name}{{")) && l.contains(&format!("instance=\"{instance}\""))
        })
        .map(str::to_owned)
}

#[tokio::test]
async fn metrics_snapshots_are_published_and_read_on_a_cluster() {
    use eider_runtime::context::Shutdown;
    use eider_runtime::metrics::Metrics;
    let Some(cluster) = cluster() else {
        return;
    };
    let interval = Duration::from_millis(200);
    // The publisher knows node 0 only, the reader nodes 1 and 2: the `{metrics}` slot lives on
    // one of them, so at least one side needs the cluster's routing.
    let a = Metrics::redis(&cluster.url_of(&[0]), interval, "host-a:1".into()).expect("a");
    let b = Metrics::redis(&cluster.url_of(&[1, 2]), interval, "host-b:2".into()).expect("b");
    a.registry()
        .counter("eider_test_things_total", "Things.")
        .add(7);
    let (stop_a, stop_b) = (Shutdown::new(), Shutdown::new());
    a.publish("eider-imapd", &stop_a);
    b.publish("eider-api", &stop_b);
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let text = b.render().await;
        if let Some(l) = sample(&text, "eider_test_things_total", "host-a:1") {
            break l;
        }
        assert!(
            Instant::now() < deadline,
            "snapshot of a never read:\n{text}"
        );
        tokio::time::sleep(POLL).await;
    };
    assert!(line.contains("daemon=\"eider-imapd\""), "{line}");
    assert!(line.ends_with(" 7"), "{line}");
    // Every metrics key shares the `{metrics}` hash slot: one node holds them all.
    assert_eq!(nodes_holding(&cluster, "eider:{metrics}:*"), 1);
    // A stopped publisher deletes its snapshot.
    stop_a.cancel();
    let deadline = Instant::now() + Duration::from_secs(10);
    while sample(&b.render().await, "eider_test_things_total", "host-a:1").is_some() {
        assert!(
            Instant::now() < deadline,
            "snapshot of a still there after its stop"
        );
        tokio::time::sleep(POLL).await;
    }
    stop_b.cancel();
}
