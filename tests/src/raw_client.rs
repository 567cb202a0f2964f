//! A raw TCP client for testing listeners byte by byte: connecting from a chosen loopback
//! address (per-address limits), reading lines, trickling bytes (pre-login deadlines).

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpSocket, TcpStream};

/// A raw client connecting from `from` (any 127.0.0.0/8 address works on loopback).
pub async fn connect_from(from: &str, to: SocketAddr) -> BufReader<TcpStream> {
    let socket = TcpSocket::new_v4().expect("raw client");
    socket
        .bind(SocketAddr::new(from.parse().expect("raw client"), 0))
        .expect("raw client");
    BufReader::new(socket.connect(to).await.expect("raw client"))
}

/// The next line, `""` at end of stream (or a reset).
pub async fn line(c: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), c.read_line(&mut s));
    match read.await.expect("no answer") {
        Ok(_) => s,
        Err(_) => String::new(),
    }
}

/// Sends one byte every 200 ms until the server closes; returns when that happened.
pub async fn trickle_until_closed(c: &mut BufReader<TcpStream>, started: Instant) -> Duration {
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
