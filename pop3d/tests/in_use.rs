//! The maildrop lock (`-ERR [IN-USE]`, RFC 1939 §8 / RFC 2449 §8.1.1) holds across two POP3
//! servers over one store when their counters share a Redis, as two `eider-pop3d` processes do,
//! and is released when the holding session ends.

#![allow(clippy::unwrap_used)]

use eider_runtime::counters::Counters;
use eider_tests::harness::World;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

async fn start(w: &World, counters: Counters) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut ctx = w.ctx();
    ctx.counters = counters;
    let run = eider_pop3d::run_listeners_tls(Some(listener), None, None, ctx, w.shutdown.clone());
    tokio::spawn(async move { run.await.unwrap() });
    addr
}

/// Connects and logs in; returns the connection and the answer to PASS.
async fn login(addr: SocketAddr) -> (BufReader<TcpStream>, String) {
    let mut c = BufReader::new(TcpStream::connect(addr).await.unwrap());
    let mut line = String::new();
    for cmd in ["", "USER alice\r\n", "PASS pw\r\n"] {
        c.get_mut().write_all(cmd.as_bytes()).await.unwrap();
        line.clear();
        tokio::time::timeout(Duration::from_secs(10), c.read_line(&mut line))
            .await
            .unwrap()
            .unwrap();
    }
    (c, line.trim_end().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn in_use_across_servers_sharing_redis() {
    let Some(redis) = eider_tests::redis_server::RedisServer::start().unwrap() else {
        return;
    };
    let w = World::new(|_| {}).unwrap();
    w.user("alice", "pw", &["alice@example.org"]).await.unwrap();
    let ttl = Duration::from_secs(3);
    let a = start(&w, Counters::redis(&redis.url(), ttl).unwrap()).await;
    let b = start(&w, Counters::redis(&redis.url(), ttl).unwrap()).await;

    let (mut held, answer) = login(a).await;
    assert!(answer.starts_with("+OK"), "{answer}");
    let (_, answer) = login(b).await;
    assert!(
        answer.starts_with("-ERR [IN-USE]"),
        "other server: {answer}"
    );

    held.get_mut().write_all(b"QUIT\r\n").await.unwrap();
    let mut line = String::new();
    held.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("+OK"), "{line}");
    drop(held);
    let mut answer = String::new();
    for _ in 0..40 {
        answer = login(b).await.1;
        if answer.starts_with("+OK") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(answer.starts_with("+OK"), "lock not released: {answer}");
}
