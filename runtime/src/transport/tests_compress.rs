//! COMPRESS=DEFLATE tests: wire format checked with flate2 directly (raw deflate, sync flush),
//! bytes sent right after the OK, large transfers both ways, TLS+COMPRESS, a Unix socket, and
//! Python's zlib (`wbits=-15`) and `ssl` as an independent peer.

use super::test_support::{Client, big_line, require_tool, serve, spawn_server};
use super::testcert::write_test_cert;
use super::{BoxIo, Conn, Tls};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn deflate_sync(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]), "sync flush marker");
    out
}

fn inflate(d: &mut Decompress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 20 + 1024);
    let before = d.total_in();
    d.decompress_vec(data, &mut out, FlushDecompress::Sync)
        .unwrap();
    assert_eq!(d.total_in() - before, data.len() as u64, "all input used");
    out
}

/// Reads from `io` until the bytes read end with a sync-flush marker.
async fn read_flushed(io: &mut tokio::io::DuplexStream) -> Vec<u8> {
    let mut got = Vec::new();
    while !got.ends_with(&[0, 0, 0xff, 0xff]) {
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), io.read(&mut buf))
            .await
            .expect("no answer within 10 s")
            .unwrap();
        assert!(n > 0, "EOF before a sync flush: {got:?}");
        got.extend_from_slice(&buf[..n]);
    }
    got
}

#[tokio::test]
async fn wire_format_is_raw_deflate_with_sync_flush_and_buffered_bytes_are_kept() {
    let (server_io, mut peer) = tokio::io::duplex(1 << 20);
    let server = tokio::spawn(serve(Conn::plain(server_io), None));
    let mut plain = vec![0u8; 64];
    let n = peer.read(&mut plain).await.unwrap();
    assert_eq!(&plain[..n], b"* OK ready\r\n");

    // The compressed command is sent in the same write as COMPRESS, before the OK arrives:
    // the server's reader has it buffered and must hand it to the inflater.
    let mut c = Compress::new(Compression::default(), false);
    let mut d = Decompress::new(false);
    let mut first = b"a COMPRESS DEFLATE\r\n".to_vec();
    first.extend(deflate_sync(&mut c, b"b ECHO early\r\n"));
    peer.write_all(&first).await.unwrap();
    let mut ok = [0u8; 21];
    peer.read_exact(&mut ok).await.unwrap();
    assert_eq!(&ok, b"a OK deflate active\r\n");
    let wire = read_flushed(&mut peer).await;
    assert_eq!(inflate(&mut d, &wire), b"b OK early\r\n");

    // Then a normal exchange, and a large answer split over many deflate blocks.
    peer.write_all(&deflate_sync(&mut c, b"c NOOP\r\n"))
        .await
        .unwrap();
    let answer = inflate(&mut d, &read_flushed(&mut peer).await);
    assert_eq!(answer, b"c OK tls=false deflate=true\r\n");
    peer.write_all(&deflate_sync(&mut c, b"d BIG 20000\r\n"))
        .await
        .unwrap();
    let mut text = Vec::new();
    while !text.ends_with(b"d OK big\r\n") {
        text.extend(inflate(&mut d, &read_flushed(&mut peer).await));
    }
    let expected: String = (0..20000).map(big_line).collect::<String>() + "d OK big\r\n";
    assert_eq!(String::from_utf8(text).unwrap(), expected);

    // Some clients flush with Z_PARTIAL_FLUSH (no `00 00 ff ff` marker): the server must still
    // answer without waiting for more input.
    let mut partial = Vec::with_capacity(256);
    c.compress_vec(b"e ECHO partial\r\n", &mut partial, FlushCompress::Partial)
        .unwrap();
    peer.write_all(&partial).await.unwrap();
    let answer = inflate(&mut d, &read_flushed(&mut peer).await);
    assert_eq!(answer, b"e OK partial\r\n");

    // A client hanging up mid-stream is a clean end for the server.
    drop(peer);
    server.await.unwrap().unwrap();
}

#[test]
fn connections_are_send() {
    fn send<T: Send>() {}
    send::<Conn<tokio::net::TcpStream>>();
    send::<Conn<tokio::net::UnixStream>>();
    send::<Conn<BoxIo>>();
}

#[tokio::test]
async fn large_transfers_both_ways_over_tls_and_compression() {
    let dir = tempfile::tempdir().unwrap();
    let files = write_test_cert(dir.path()).unwrap();
    let tls = Tls::from_files(&files.cert, &files.key).unwrap();
    let port = spawn_server(Some(tls), false).await;
    let mut client = Client::connect(port).await;
    client.line().await;
    let (client, _) = client.starttls(files.ca.client_config().unwrap()).await;
    let mut client = client.compress().await;
    assert_eq!(
        client.cmd("NOOP").await,
        ["t3 OK tls=true deflate=true\r\n"]
    );
    let lines = client.cmd("BIG 50000").await;
    assert_eq!(lines.len(), 50001);
    assert_eq!(lines[49999], big_line(49999));
    // Client → server: a 200 KB line of poorly compressible text.
    let noise: String = (0..200_000u32)
        .map(|i| char::from(b'a' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26))
        .collect();
    let echoed = client.cmd(&format!("ECHO {noise}")).await;
    assert_eq!(echoed, [format!("t5 OK {noise}\r\n")]);
    assert_eq!(client.cmd("STARTTLS").await, ["t6 NO cannot\r\n"]);
    assert_eq!(client.cmd("LOGOUT").await, ["* BYE\r\n", "t7 OK bye\r\n"]);
    // After LOGOUT the server ended its deflate stream and closed: a clean EOF.
    let mut rest = Vec::new();
    let mut io: BoxIo = client.into_inner();
    io.read_to_end(&mut rest).await.unwrap();
    assert!(rest.is_empty());
}

#[tokio::test]
async fn compression_over_a_unix_socket_with_boxed_io() {
    let (server_io, client_io) = tokio::net::UnixStream::pair().unwrap();
    let boxed: BoxIo = Box::new(server_io);
    let server = tokio::spawn(serve(Conn::plain(boxed), None));
    let mut client = Client::new(Box::new(client_io));
    assert_eq!(client.line().await, "* OK ready\r\n");
    let mut client = client.compress().await;
    assert_eq!(
        client.cmd("NOOP").await,
        ["t2 OK tls=false deflate=true\r\n"]
    );
    client.cmd("LOGOUT").await;
    server.await.unwrap().unwrap();
}

/// The Python peer: argv[2] = CA file or "-"; argv[3] = `implicit` TLS, `starttls`, or `plain`;
/// then COMPRESS, commands compressed with zlib `wbits=-15` and answers inflated the same way.
/// Prints the answers.
const PY_PEER: &str = r#"
import socket, ssl, sys, zlib
port, ca, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port))
wrap = lambda s: ssl.create_default_context(cafile=ca).wrap_socket(s, server_hostname="localhost")
if mode == "implicit":
    s = wrap(s)
f = s.makefile("rb", buffering=0)
assert f.readline() == b"* OK ready\r\n"
if mode == "starttls":
    s.sendall(b"s STARTTLS\r\n")
    assert f.readline() == b"s OK begin TLS\r\n"
    s = wrap(s)
    f = s.makefile("rb", buffering=0)
s.sendall(b"a COMPRESS DEFLATE\r\n")
assert f.readline() == b"a OK deflate active\r\n"
comp = zlib.compressobj(6, zlib.DEFLATED, -15)
dec = zlib.decompressobj(-15)
buf = b""
def cmd(line, tag):
    global buf
    s.sendall(comp.compress(line) + comp.flush(zlib.Z_SYNC_FLUSH))
    out = []
    while True:
        while b"\r\n" not in buf:
            data = s.recv(65536)
            assert data, "EOF"
            buf += dec.decompress(data)
        line, buf = buf.split(b"\r\n", 1)
        out.append(line.decode())
        if line.startswith(tag + b" "):
            return out
print(cmd(b"b NOOP\r\n", b"b")[-1])
big = cmd(b"c BIG 3000\r\n", b"c")
print(len(big), big[2999], big[-1])
print(cmd(b"d ECHO " + b"xyz" * 30000 + b"\r\n", b"d")[-1][:12])
"#;

async fn run_python(port: u16, ca: &str, mode: &str) -> String {
    let out = tokio::process::Command::new("python3")
        .args(["-c", PY_PEER, &port.to_string(), ca, mode])
        .output();
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "python failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn python_zlib_peer_plain_and_tls() {
    if require_tool("python3").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let files = write_test_cert(dir.path()).unwrap();
    let tls = Tls::from_files(&files.cert, &files.key).unwrap();
    let expected_big = format!("3001 {} c OK big", big_line(2999).trim_end());
    let ca = files.ca_file.display().to_string();
    let plain = spawn_server(Some(tls.clone()), false).await;
    let implicit = spawn_server(Some(tls), true).await;
    for (port, mode, tls) in [
        (plain, "plain", false),
        (plain, "starttls", true),
        (implicit, "implicit", true),
    ] {
        let out = run_python(port, &ca, mode).await;
        let lines: Vec<&str> = out.lines().collect();
        let noop = format!("b OK tls={tls} deflate=true");
        assert_eq!(lines, [&noop, &expected_big, "d OK xyzxyzx"], "{mode}");
    }
}
