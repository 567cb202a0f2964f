//! The shared listener's limits as LMTP applies them (`[lmtp] max_connections_per_address`,
//! `pre_login_timeout_secs` until LHLO, `trusted_proxies`), over raw TCP.

#![allow(clippy::unwrap_used)]

use eider_tests::harness::World;
use eider_tests::raw_client::{connect_from, line, trickle_until_closed};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

async fn server(tweak: impl FnOnce(&mut eider_runtime::config::Config)) -> (World, SocketAddr) {
    let w = World::new(tweak).unwrap();
    let addr = w.spawn(eider_ingest::run).await.unwrap();
    (w, addr)
}

/// A PROXY v2 header for a TCP/IPv4 client `src`.
fn proxy_v2(src: [u8; 4]) -> Vec<u8> {
    let mut h = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    h.extend_from_slice(&src);
    h.extend_from_slice(&[127, 0, 0, 1, 0x30, 0x39, 0x09, 0x78]);
    h
}

#[tokio::test]
async fn per_address_limit_answers_421_other_addresses_served() {
    let (_w, addr) = server(|c| c.lmtp.max_connections_per_address = 2).await;
    let mut a = connect_from("127.0.0.1", addr).await;
    let mut b = connect_from("127.0.0.1", addr).await;
    assert!(line(&mut a).await.starts_with("220 "));
    assert!(line(&mut b).await.starts_with("220 "));
    let mut c = connect_from("127.0.0.1", addr).await;
    assert!(line(&mut c).await.starts_with("421 4.3.2 "));
    let mut other = connect_from("127.0.0.2", addr).await;
    assert!(line(&mut other).await.starts_with("220 "));
}

#[tokio::test]
async fn pre_lhlo_deadline_is_not_extended_by_trickling() {
    let (_w, addr) = server(|c| c.lmtp.pre_login_timeout_secs = 1).await;
    let mut c = connect_from("127.0.0.1", addr).await;
    let started = Instant::now();
    assert!(line(&mut c).await.starts_with("220 "));
    let closed = trickle_until_closed(&mut c, started).await;
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_millis(2500), "{closed:?}");
    // After LHLO the deadline no longer applies (the idle timeout does).
    let mut c = connect_from("127.0.0.1", addr).await;
    line(&mut c).await;
    c.get_mut()
        .write_all(b"LHLO mx.example.net\r\n")
        .await
        .unwrap();
    while line(&mut c).await.starts_with("250-") {}
    tokio::time::sleep(Duration::from_millis(1500)).await;
    c.get_mut().write_all(b"NOOP\r\n").await.unwrap();
    assert!(line(&mut c).await.starts_with("250"));
}

#[tokio::test]
async fn proxy_v2_honoured_only_from_trusted_proxies() {
    let (_w, addr) = server(|c| {
        c.lmtp.max_connections_per_address = 1;
        c.lmtp.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let mut a = connect_from("127.0.0.1", addr).await;
    a.get_mut()
        .write_all(&proxy_v2([192, 0, 2, 9]))
        .await
        .unwrap();
    assert!(line(&mut a).await.starts_with("220 "));
    let mut b = connect_from("127.0.0.1", addr).await;
    b.get_mut()
        .write_all(&proxy_v2([192, 0, 2, 9]))
        .await
        .unwrap();
    assert!(
        line(&mut b).await.starts_with("421 4.3.2 "),
        "same client behind the proxy"
    );
    let mut c = connect_from("127.0.0.1", addr).await;
    c.get_mut()
        .write_all(&proxy_v2([192, 0, 2, 10]))
        .await
        .unwrap();
    assert!(line(&mut c).await.starts_with("220 "));
    // From 127.0.0.2 (not trusted) the header names no one: the limit counts 127.0.0.2.
    let mut d = connect_from("127.0.0.2", addr).await;
    assert!(line(&mut d).await.starts_with("220 "));
    let mut e = connect_from("127.0.0.2", addr).await;
    e.get_mut()
        .write_all(&proxy_v2([192, 0, 2, 11]))
        .await
        .unwrap();
    assert!(line(&mut e).await.starts_with("421 4.3.2 "));
}
