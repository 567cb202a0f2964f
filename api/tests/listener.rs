//! The shared listener's limits as the API applies them (503 over the per-address limit, the
//! header read deadline, PROXY headers only from trusted proxies), over raw TCP.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::Api;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// A raw client connecting from `from` (any 127.0.0.0/8 address works on loopback).
async fn connect_from(from: &str, to: SocketAddr) -> BufReader<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    BufReader::new(socket.connect(to).await.unwrap())
}

/// The next line, `""` at end of stream (or a reset).
async fn line(c: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), c.read_line(&mut s));
    match read.await.expect("no answer") {
        Ok(_) => s,
        Err(_) => String::new(),
    }
}

/// Sends one byte every 200 ms until the server closes; returns when that happened.
async fn trickle_until_closed(c: &mut BufReader<TcpStream>, started: Instant) -> Duration {
    for _ in 0..50 {
        if c.get_mut().write_all(b"N").await.is_err() {
            return started.elapsed();
        }
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_millis(200), c.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return started.elapsed();
        }
    }
    panic!("the trickling client was never closed");
}

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
