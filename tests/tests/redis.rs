//! The Redis change bus and counters against a private `redis-server`: two bus/counter instances
//! in one test stand for two processes (different origin ids, separate stores).

use eider_model::StoreEvent;
use eider_runtime::bus::{Bus, BusMessage, BusReceiver};
use eider_runtime::counters::Counters;
use eider_tests::harness::World;
use eider_tests::redis_server::RedisServer;
use std::time::{Duration, Instant};
use tokio::time::timeout;

const POLL: Duration = Duration::from_millis(200);

/// A store change: creating and deleting a mailbox emits one event (from the delete).
async fn change(world: &World, user: eider_model::types::UserId, n: u32) -> StoreEvent {
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

/// The next `Changed` for `user` (and `mailbox`, if given), skipping ticks and other events
/// (user creation emits some), within `within`.
async fn next_change(
    rx: &mut BusReceiver,
    user: eider_model::types::UserId,
    mailbox: Option<eider_model::types::MailboxId>,
    within: Duration,
) -> Option<StoreEvent> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(BusMessage::Changed(ev)))
                if ev.user == user && mailbox.is_none_or(|m| m == ev.mailbox) =>
            {
                return Some(ev);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return None,
        }
    }
}

/// Every `Changed` for `user` until `quiet` passes without one.
async fn drain(
    rx: &mut BusReceiver,
    user: eider_model::types::UserId,
    quiet: Duration,
) -> Vec<StoreEvent> {
    let mut got = Vec::new();
    while let Ok(Some(message)) = timeout(quiet, rx.recv()).await {
        if let BusMessage::Changed(ev) = message
            && ev.user == user
        {
            got.push(ev);
        }
    }
    got
}

async fn wait_connected(buses: &[&Bus]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !buses.iter().all(|b| b.is_connected()) {
        assert!(Instant::now() < deadline, "bus did not (re)connect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn events_cross_processes_and_own_echoes_are_dropped() {
    let Some(redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let (w1, w2) = (
        World::new(|_| {}).expect("w1"),
        World::new(|_| {}).expect("w2"),
    );
    let a = Bus::redis(&redis.url(), w1.store.clone(), POLL).expect("bus a");
    let b = Bus::redis(&redis.url(), w2.store.clone(), POLL).expect("bus b");
    wait_connected(&[&a, &b]).await;
    let u1 = w1.user("alice", "pw", &[]).await.expect("user").id;
    // Distinct user ids in the two stores, so events cannot be confused.
    w2.user("nobody", "pw", &[]).await.expect("user");
    let u2 = w2.user("bob", "pw", &[]).await.expect("user").id;
    assert_ne!(u1, u2);
    // Subscribed once the user creations' events (in flight through Redis) are over, so the
    // receivers see only what follows.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut rx_a, mut rx_b) = (a.subscribe(), b.subscribe());

    // Every event of a's commit reaches b within a second, and a exactly once (its echo from
    // Redis is dropped): both see the same sequence.
    let sent = change(&w1, u1, 1).await;
    let started = Instant::now();
    let at_b = drain(&mut rx_b, u1, Duration::from_millis(1500)).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    let at_a = drain(&mut rx_a, u1, Duration::from_millis(500)).await;
    assert!(
        at_b.iter().any(|e| e.mailbox == sent.mailbox),
        "b sees a's change: {at_b:?}"
    );
    assert_eq!(at_a, at_b, "a sees its own events once");

    // And the other way round, through an explicit publish as well as a commit.
    let sent = change(&w2, u2, 2).await;
    let got = drain(&mut rx_a, u2, Duration::from_millis(1000)).await;
    assert!(
        got.iter().any(|e| e.mailbox == sent.mailbox),
        "a sees b's change: {got:?}"
    );
    let manual = StoreEvent {
        user: u2,
        mailbox: sent.mailbox,
        modseq: eider_model::types::ModSeq(77),
    };
    b.publish(manual.clone());
    assert_eq!(
        next_change(&mut rx_a, u2, None, Duration::from_secs(1)).await,
        Some(manual)
    );
}

#[tokio::test]
async fn subscribers_tick_while_redis_is_down_and_reconnect() {
    let Some(mut redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let (w1, w2) = (
        World::new(|_| {}).expect("w1"),
        World::new(|_| {}).expect("w2"),
    );
    let a = Bus::redis(&redis.url(), w1.store.clone(), POLL).expect("bus a");
    let b = Bus::redis(&redis.url(), w2.store.clone(), POLL).expect("bus b");
    wait_connected(&[&a, &b]).await;
    let mut rx_b = b.subscribe();
    let u1 = w1.user("alice", "pw", &[]).await.expect("user").id;

    redis.stop();
    // Several ticks while down: IDLE sessions keep checking the journal.
    let mut ticks = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while ticks < 3 {
        match tokio::time::timeout_at(deadline, rx_b.recv()).await {
            Ok(Some(BusMessage::Tick)) => ticks += 1,
            Ok(Some(BusMessage::Changed(_))) => {}
            Ok(None) | Err(_) => break,
        }
    }
    assert!(ticks >= 3, "only {ticks} ticks while Redis was down");
    assert!(!b.is_connected());
    // Local delivery does not depend on Redis.
    let mut rx_a = a.subscribe();
    let sent = change(&w1, u1, 1).await;
    let local = next_change(&mut rx_a, u1, Some(sent.mailbox), Duration::from_secs(1)).await;
    assert_eq!(local.map(|e| e.mailbox), Some(sent.mailbox));

    redis.restart().expect("restart");
    wait_connected(&[&a, &b]).await;
    // The publisher's connection notices the restart on its first command, which may be lost
    // (the journal has it); within a few attempts events flow again.
    let start = Instant::now();
    let mut n = 2;
    loop {
        let sent = change(&w1, u1, n).await;
        if let Some(ev) = next_change(
            &mut rx_b,
            u1,
            Some(sent.mailbox),
            Duration::from_millis(500),
        )
        .await
        {
            assert_eq!(ev.user, sent.user);
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no event after restart"
        );
        n += 1;
    }
}

#[tokio::test]
async fn leases_are_counted_across_processes_and_released() {
    let Some(redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let ttl = Duration::from_secs(1);
    let a = Counters::redis(&redis.url(), ttl).expect("a");
    let b = Counters::redis(&redis.url(), ttl).expect("b");
    let l1 = a.acquire("alice", 2).await.expect("first");
    assert!(l1.is_shared());
    let l2 = b.acquire("alice", 2).await.expect("second");
    assert!(a.acquire("alice", 2).await.is_none(), "limit 2 across both");
    assert!(b.acquire("bob", 2).await.is_some(), "per key");
    // Held past several TTLs: the heartbeat keeps it alive.
    tokio::time::sleep(ttl * 3).await;
    assert!(b.acquire("alice", 2).await.is_none(), "still held");
    drop(l1);
    let deadline = Instant::now() + Duration::from_millis(500);
    let l3 = loop {
        if let Some(l) = b.acquire("alice", 2).await {
            break l;
        }
        assert!(Instant::now() < deadline, "drop did not release");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(a.acquire("alice", 0).await.is_some(), "0 is unlimited");
    drop((l2, l3));
}

#[tokio::test]
async fn leases_of_a_crashed_process_expire() {
    let Some(redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let ttl = Duration::from_secs(1);
    let crashed = Counters::redis(&redis.url(), ttl).expect("a");
    std::mem::forget(crashed.acquire("alice", 1).await.expect("lease"));
    drop(crashed); // stops the heartbeat: the lease is neither refreshed nor released
    let b = Counters::redis(&redis.url(), ttl).expect("b");
    assert!(b.acquire("alice", 1).await.is_none());
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert!(
        b.acquire("alice", 1).await.is_some(),
        "expired after the TTL"
    );
}

#[tokio::test]
async fn auth_failures_and_downloads_are_shared() {
    let Some(redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let a = Counters::redis(&redis.url(), Duration::from_secs(5)).expect("a");
    let b = Counters::redis(&redis.url(), Duration::from_secs(5)).expect("b");
    let window = Duration::from_millis(700);
    assert_eq!(a.auth_failures("ip:10.0.0.1").await, 0);
    assert_eq!(a.auth_failed("ip:10.0.0.1", window).await, 1);
    assert_eq!(b.auth_failed("ip:10.0.0.1", window).await, 2);
    assert_eq!(b.auth_failed("ip:10.0.0.2", window).await, 1);
    assert_eq!(a.auth_failures("ip:10.0.0.1").await, 2);
    tokio::time::sleep(window + Duration::from_millis(200)).await;
    assert_eq!(a.auth_failures("ip:10.0.0.1").await, 0, "window over");
    assert_eq!(b.auth_failed("ip:10.0.0.1", window).await, 1, "new window");

    assert_eq!(a.add_download("alice", 100).await, 100);
    assert_eq!(b.add_download("alice", 50).await, 150);
    assert_eq!(b.downloaded_today("alice").await, 150);
    assert_eq!(a.downloaded_today("bob").await, 0);
}

#[tokio::test]
async fn counters_fall_back_to_local_counts_when_redis_is_down() {
    let Some(mut redis) = RedisServer::start().expect("redis") else {
        return;
    };
    let a = Counters::redis(&redis.url(), Duration::from_secs(5)).expect("a");
    assert!(a.acquire("alice", 1).await.expect("up").is_shared());
    redis.stop();
    let t = Instant::now();
    let l = timeout(Duration::from_secs(5), a.acquire("carol", 1))
        .await
        .expect("fails fast")
        .expect("fail open to the local count");
    assert!(!l.is_shared());
    assert!(a.acquire("carol", 1).await.is_none(), "local limit holds");
    assert_eq!(a.auth_failed("ip:1", Duration::from_secs(60)).await, 1);
    assert_eq!(a.auth_failed("ip:1", Duration::from_secs(60)).await, 2);
    assert_eq!(a.add_download("alice", 10).await, 10);
    assert!(t.elapsed() < Duration::from_secs(10));
}
