//! The listener against real sockets on 127.0.0.1:0, with a toy line protocol: the server
//! greets `hello <client address>`, `LOGIN` logs in, any other line is echoed back.

use super::proxy::tests::{v2, v2_tcp4};
use super::*;
use crate::config::ListenerLimits;
use std::time::Instant;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

const REFUSED: &[u8] = b"NO too many\r\n";

fn limits(max: usize, per_address: Option<usize>, pre_login_ms: u64) -> ListenerLimits {
    ListenerLimits {
        max_connections: max,
        max_per_address: per_address,
        pre_login: Duration::from_millis(pre_login_ms),
        trusted_proxies: Vec::new(),
    }
}

struct Server {
    addr: SocketAddr,
    metrics: ListenerMetrics,
    shutdown: crate::Shutdown,
    task: JoinHandle<()>,
}

async fn start(limits: ListenerLimits) -> Server {
    let registry = crate::metrics::Registry::default();
    let listener = Listener::new("toy", &limits, &registry)
        .unwrap()
        .refusal(REFUSED)
        .shutdown_grace(Duration::from_millis(300));
    let metrics = listener.metrics().clone();
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let shutdown = crate::Shutdown::new();
    let task = tokio::spawn(serve(
        listener,
        vec![Socket::plain(socket)],
        shutdown.clone(),
        toy,
    ));
    Server {
        addr,
        metrics,
        shutdown,
        task,
    }
}

async fn toy(a: Accepted<TcpStream>) {
    let (r, mut w) = a.stream.into_split();
    let mut r = BufReader::new(r);
    let peer = a.peer.map(|p| p.ip().to_string()).unwrap_or_default();
    let _ = w.write_all(format!("hello {peer}\r\n").as_bytes()).await;
    let mut line = String::new();
    while r.read_line(&mut line).await.is_ok_and(|n| n > 0) {
        if line == "LOGIN\r\n" {
            logged_in();
        }
        let _ = w.write_all(line.as_bytes()).await;
        line.clear();
    }
}

/// A client connecting from `from` (any 127.0.0.0/8 address works on loopback).
async fn connect_from(from: &str, to: SocketAddr) -> BufReader<TcpStream> {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    BufReader::new(socket.connect(to).await.unwrap())
}

async fn line(c: &mut BufReader<TcpStream>) -> String {
    let mut s = String::new();
    let read = c.read_line(&mut s);
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .expect("no answer")
        .unwrap();
    s
}

#[tokio::test]
async fn per_address_limit_refuses_only_that_address() {
    let s = start(limits(10, Some(2), 5000)).await;
    let mut a = connect_from("127.0.0.1", s.addr).await;
    let mut b = connect_from("127.0.0.1", s.addr).await;
    assert_eq!(line(&mut a).await, "hello 127.0.0.1\r\n");
    assert_eq!(line(&mut b).await, "hello 127.0.0.1\r\n");
    let mut third = connect_from("127.0.0.1", s.addr).await;
    assert_eq!(line(&mut third).await.as_bytes(), REFUSED);
    assert_eq!(line(&mut third).await, "", "closed after the refusal");
    let mut other = connect_from("127.0.0.2", s.addr).await;
    assert_eq!(line(&mut other).await, "hello 127.0.0.2\r\n");
    assert_eq!(s.metrics.refused_count(Refusal::PerAddress), 1);
    assert_eq!(s.metrics.refused_count(Refusal::Global), 0);
    // A closed connection gives its slot back.
    drop(a);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut again = connect_from("127.0.0.1", s.addr).await;
    assert_eq!(line(&mut again).await, "hello 127.0.0.1\r\n");
    assert_eq!(s.metrics.accepted.get(), 5);
}

#[tokio::test]
async fn global_limit_refuses_everyone() {
    let s = start(limits(2, None, 5000)).await;
    let mut a = connect_from("127.0.0.1", s.addr).await;
    let mut b = connect_from("127.0.0.2", s.addr).await;
    assert!(line(&mut a).await.starts_with("hello"));
    assert!(line(&mut b).await.starts_with("hello"));
    let mut c = connect_from("127.0.0.3", s.addr).await;
    assert_eq!(line(&mut c).await.as_bytes(), REFUSED);
    assert_eq!(s.metrics.refused_count(Refusal::Global), 1);
    assert_eq!(s.metrics.open.get(), 2);
}

/// One byte every 200 ms does not extend the 1 s deadline.
#[tokio::test]
async fn pre_login_deadline_is_absolute() {
    let s = start(limits(10, None, 1000)).await;
    let mut c = connect_from("127.0.0.1", s.addr).await;
    let started = Instant::now();
    assert!(line(&mut c).await.starts_with("hello"));
    let mut closed_at = None;
    for _ in 0..15 {
        if c.get_mut().write_all(b"x").await.is_err() {
            closed_at = Some(started.elapsed());
            break;
        }
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_millis(200), c.read(&mut buf)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            closed_at = Some(started.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("the trickling client was never closed");
    assert!(closed_at >= Duration::from_millis(900), "{closed_at:?}");
    assert!(closed_at < Duration::from_millis(2300), "{closed_at:?}");
    assert_eq!(s.metrics.pre_login_timeouts.get(), 1);
}

#[tokio::test]
async fn logging_in_lifts_the_deadline() {
    let s = start(limits(10, None, 500)).await;
    let mut c = connect_from("127.0.0.1", s.addr).await;
    line(&mut c).await;
    c.get_mut().write_all(b"LOGIN\r\n").await.unwrap();
    assert_eq!(line(&mut c).await, "LOGIN\r\n");
    tokio::time::sleep(Duration::from_millis(900)).await;
    c.get_mut().write_all(b"still\r\n").await.unwrap();
    assert_eq!(line(&mut c).await, "still\r\n");
    assert_eq!(s.metrics.pre_login_timeouts.get(), 0);
}

fn proxied(trusted: &str, per_address: usize) -> ListenerLimits {
    ListenerLimits {
        trusted_proxies: vec![trusted.to_owned()],
        ..limits(10, Some(per_address), 5000)
    }
}

#[tokio::test]
async fn proxy_v1_and_v2_from_a_trusted_proxy_set_the_client() {
    let s = start(proxied("127.0.0.1/32", 1)).await;
    let v1 = b"PROXY TCP4 192.0.2.9 127.0.0.1 5555 143\r\n".to_vec();
    let second = v2_tcp4([198, 51, 100, 7], [127, 0, 0, 1], 6666, 143);
    let mut open = Vec::new();
    for (header, client) in [(&v1, "192.0.2.9"), (&second, "198.51.100.7")] {
        let mut c = connect_from("127.0.0.1", s.addr).await;
        c.get_mut().write_all(header).await.unwrap();
        c.get_mut().write_all(b"first line\r\n").await.unwrap();
        assert_eq!(line(&mut c).await, format!("hello {client}\r\n"));
        // The bytes after the header reach the protocol untouched.
        assert_eq!(line(&mut c).await, "first line\r\n");
        // The per-address limit (1) counts the address in the header, not the proxy's.
        let mut again = connect_from("127.0.0.1", s.addr).await;
        again.get_mut().write_all(header).await.unwrap();
        assert_eq!(line(&mut again).await.as_bytes(), REFUSED);
        open.push(c);
    }
    // LOCAL (a health check): the proxy's own address.
    let mut c = connect_from("127.0.0.1", s.addr).await;
    c.get_mut().write_all(&v2(0, 0, &[])).await.unwrap();
    assert_eq!(line(&mut c).await, "hello 127.0.0.1\r\n");
    assert_eq!(s.metrics.refused_count(Refusal::PerAddress), 2);
}

#[tokio::test]
async fn proxy_header_from_an_untrusted_address_is_not_honoured() {
    let s = start(proxied("127.0.0.1/32", 1)).await;
    let mut c = connect_from("127.0.0.2", s.addr).await;
    assert_eq!(line(&mut c).await, "hello 127.0.0.2\r\n");
    c.get_mut()
        .write_all(b"PROXY TCP4 192.0.2.9 127.0.0.1 5555 143\r\n")
        .await
        .unwrap();
    // Garbage to the protocol (echoed by the toy), not an address.
    assert_eq!(
        line(&mut c).await,
        "PROXY TCP4 192.0.2.9 127.0.0.1 5555 143\r\n"
    );
    // The limit counts 127.0.0.2 itself.
    let mut d = connect_from("127.0.0.2", s.addr).await;
    d.get_mut()
        .write_all(&v2_tcp4([192, 0, 2, 10], [127, 0, 0, 1], 1, 2))
        .await
        .unwrap();
    assert_eq!(line(&mut d).await.as_bytes(), REFUSED);
}

#[tokio::test]
async fn a_trusted_proxy_must_send_a_valid_header() {
    let s = start(proxied("127.0.0.0/8", 5)).await;
    let mut c = connect_from("127.0.0.1", s.addr).await;
    c.get_mut().write_all(b"a001 LOGIN x y\r\n").await.unwrap();
    // Closed without a greeting (a reset: the client's bytes were left unread).
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut buf)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "{read:?} {buf:?}");
    assert_eq!(s.metrics.proxy_errors.get(), 1);
}

#[tokio::test]
async fn shutdown_stops_accepting_and_drops_connections_after_the_grace() {
    let s = start(limits(10, None, 60_000)).await;
    let mut c = connect_from("127.0.0.1", s.addr).await;
    line(&mut c).await;
    let started = Instant::now();
    s.shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), s.task)
        .await
        .expect("serve did not return")
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(line(&mut c).await, "", "dropped after the grace period");
    assert!(TcpStream::connect(s.addr).await.is_err());
}
