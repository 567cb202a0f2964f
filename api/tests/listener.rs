//! The shared listener's limits as the API applies them (503 over the per-address limit, the
//! header read deadline, PROXY headers only from trusted proxies), over raw TCP.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::Api;
use eider_tests::raw_client::{connect_from, line, trickle_until_closed};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nHost: eider\r\n\r\n";

fn addr(api: &Api) -> SocketAddr {
    api.base.trim_start_matches("http://").parse().unwrap()
}

#[tokio::test]
async fn per_address_limit_answers_503_other_addresses_served() {
    let api = Api::start_with(|c| c.api.max_connections_per_address = 2).await;
    let to = addr(&api);
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut c = connect_from("127.0.0.1", to).await;
        c.get_mut().write_all(HEALTH).await.unwrap();
        assert_eq!(line(&mut c).await, "HTTP/1.1 200 OK\r\n");
        held.push(c);
    }
    let mut third = connect_from("127.0.0.1", to).await;
    third.get_mut().write_all(HEALTH).await.unwrap();
    assert_eq!(
        line(&mut third).await,
        "HTTP/1.1 503 Service Unavailable\r\n"
    );
    let mut other = connect_from("127.0.0.2", to).await;
    other.get_mut().write_all(HEALTH).await.unwrap();
    assert_eq!(line(&mut other).await, "HTTP/1.1 200 OK\r\n");
}

#[tokio::test]
async fn header_read_deadline_is_not_extended_by_trickling() {
    let api = Api::start_with(|c| c.api.pre_login_timeout_secs = 1).await;
    let mut c = connect_from("127.0.0.1", addr(&api)).await;
    let closed = trickle_until_closed(&mut c, Instant::now()).await;
    assert!(closed >= Duration::from_millis(900), "{closed:?}");
    assert!(closed < Duration::from_millis(2500), "{closed:?}");
}

#[tokio::test]
async fn proxy_header_honoured_only_from_trusted_proxies() {
    let api = Api::start_with(|c| {
        c.api.max_connections_per_address = 1;
        c.api.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let to = addr(&api);
    let header = b"PROXY TCP4 192.0.2.9 127.0.0.1 5555 8080\r\n";
    let mut a = connect_from("127.0.0.1", to).await;
    a.get_mut()
        .write_all(&[&header[..], HEALTH].concat())
        .await
        .unwrap();
    assert_eq!(line(&mut a).await, "HTTP/1.1 200 OK\r\n");
    let mut b = connect_from("127.0.0.1", to).await;
    b.get_mut()
        .write_all(&[&header[..], HEALTH].concat())
        .await
        .unwrap();
    assert_eq!(line(&mut b).await, "HTTP/1.1 503 Service Unavailable\r\n");
    // From 127.0.0.2 the header is not read: HTTP sees garbage and answers 400.
    let mut c = connect_from("127.0.0.2", to).await;
    c.get_mut()
        .write_all(&[&header[..], HEALTH].concat())
        .await
        .unwrap();
    assert_eq!(line(&mut c).await, "HTTP/1.1 400 Bad Request\r\n");
}
