//! TLS, COMPRESS and login limits with real clients: Python `imaplib` over implicit TLS and
//! STARTTLS, `curl imaps://` and `curl --ssl-reqd imap://`, COMPRESS=DEFLATE from Python's zlib
//! (plain, pipelined behind the command, and under TLS, with IDLE through the compressed stream),
//! the STARTTLS command-injection guard,
//! LOGINDISABLED before TLS, and the per-user connection limit (in-process and across two
//! servers sharing Redis counters).

#![allow(clippy::unwrap_used)]

mod common;

use common::client::Client;
use common::{PASS, USER, World, have_python, sample_message};
use eider_runtime::config::Config;
use eider_runtime::counters::Counters;
use eider_runtime::transport::Tls;
use eider_runtime::transport::testcert::write_test_cert;
use eider_tests::harness;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;

/// A server with `[tls]` configured, serving `[imap]` (STARTTLS) and `[imaps]`.
struct TlsWorld {
    w: World,
    tls_addr: SocketAddr,
    ca: PathBuf,
    _certs: tempfile::TempDir,
}

impl std::ops::Deref for TlsWorld {
    type Target = World;
    fn deref(&self) -> &World {
        &self.w
    }
}

/// Starts imapd with both listeners over a fresh store; `counters` replaces the in-process ones.
async fn start_on(
    inner: &harness::World,
    counters: Option<Counters>,
    implicit: bool,
) -> (SocketAddr, Option<SocketAddr>) {
    let plain = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = plain.local_addr().unwrap();
    let implicit_tls = match implicit {
        true => Some(TcpListener::bind("127.0.0.1:0").await.unwrap()),
        false => None,
    };
    let tls_addr = implicit_tls.as_ref().map(|l| l.local_addr().unwrap());
    let mut ctx = inner.ctx();
    if let Some(c) = counters {
        ctx.counters = c;
    }
    let listeners = eider_imapd::Listeners {
        plain: Some(plain),
        implicit_tls,
        tls: Tls::from_config(&inner.config).unwrap(),
    };
    let options = eider_imapd::Options::from_config(&inner.config);
    let fut = eider_imapd::run_listeners(listeners, ctx, inner.shutdown.clone(), options);
    tokio::spawn(async move { fut.await.unwrap() });
    (addr, tls_addr)
}

async fn start_tls(tweak: impl FnOnce(&mut Config)) -> TlsWorld {
    let certs = tempfile::tempdir().unwrap();
    let files = write_test_cert(certs.path()).unwrap();
    let (cert, key) = (files.cert.clone(), files.key.clone());
    let inner = harness::World::new(|c| {
        c.tls.cert = cert.display().to_string();
        c.tls.key = key.display().to_string();
        tweak(c);
    })
    .unwrap();
    let user = inner
        .user(USER, PASS, &["alice@example.org"])
        .await
        .unwrap();
    let (addr, tls_addr) = start_on(&inner, None, true).await;
    TlsWorld {
        w: World { inner, addr, user },
        tls_addr: tls_addr.unwrap(),
        ca: files.ca_file,
        _certs: certs,
    }
}

impl TlsWorld {
    /// Runs a Python script with `PORT`, `TLS_PORT`, `CA`, `USER`, `PASS` set; returns stdout.
    async fn py(&self, script: &str) -> String {
        let tls_port = self.tls_addr.port().to_string();
        let ca = self.ca.display().to_string();
        self.run_tool(
            "python3",
            &["-c", script],
            &[("TLS_PORT", &tls_port), ("CA", &ca)],
        )
        .await
    }
}

fn caps_of(greeting: &str) -> Vec<String> {
    let start = greeting.find("[CAPABILITY ").unwrap() + "[CAPABILITY ".len();
    let end = start + greeting[start..].find(']').unwrap();
    greeting[start..end].split(' ').map(str::to_owned).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_is_offered_only_with_a_certificate() {
    let plain = World::start().await;
    let (mut c, greeting) = Client::connect(plain.addr).await;
    let caps = caps_of(&greeting);
    assert!(!caps.contains(&"STARTTLS".into()), "{caps:?}");
    assert!(
        caps.contains(&"AUTH=PLAIN".into()),
        "loopback allows plaintext: {caps:?}"
    );
    let r = c.cmd("a", "STARTTLS").await;
    assert!(r.last().unwrap().starts_with("a BAD"), "{r:?}");

    let t = start_tls(|_| {}).await;
    let (_, greeting) = Client::connect(t.addr).await;
    let caps = caps_of(&greeting);
    assert!(caps.contains(&"STARTTLS".into()), "{caps:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logindisabled_before_tls_when_plaintext_is_not_allowed() {
    let t = start_tls(|c| c.auth.plaintext_loopback = false).await;
    let (mut c, greeting) = Client::connect(t.addr).await;
    let caps = caps_of(&greeting);
    for want in ["STARTTLS", "LOGINDISABLED"] {
        assert!(caps.contains(&want.into()), "{want} missing: {caps:?}");
    }
    assert!(!caps.iter().any(|c| c.starts_with("AUTH=")), "{caps:?}");
    let r = c.cmd("a", &format!("LOGIN {USER} {PASS}")).await;
    assert!(
        r.last().unwrap().starts_with("a NO [PRIVACYREQUIRED]"),
        "{r:?}"
    );
    let r = c
        .cmd("b", "AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldC1wdw==")
        .await;
    assert!(
        r.last().unwrap().starts_with("b NO [PRIVACYREQUIRED]"),
        "{r:?}"
    );
    // COMPRESS is not available before login (RFC 4978 §3: authenticated state).
    let r = c.cmd("c", "COMPRESS DEFLATE").await;
    assert!(r.last().unwrap().starts_with("c BAD"), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn starttls_refuses_pipelined_plaintext() {
    let t = start_tls(|_| {}).await;
    let (mut c, _) = Client::connect(t.addr).await;
    // One write: the LOGIN arrives in clear text behind STARTTLS and must never run.
    c.send(format!("a STARTTLS\r\nb LOGIN {USER} {PASS}\r\nc SELECT INBOX\r\n").as_bytes())
        .await;
    let mut got = Vec::new();
    while let Some(r) = c.response().await {
        got.push(String::from_utf8_lossy(&r).trim_end().to_owned());
    }
    assert!(got[0].starts_with("a BAD"), "{got:?}");
    assert!(
        got.iter()
            .all(|l| !l.starts_with("b ") && !l.starts_with("c ")),
        "pipelined commands were executed: {got:?}"
    );
    assert!(got.last().unwrap().starts_with("* BYE"), "{got:?}");
}

const IMAPLIB_TLS: &str = r#"
import imaplib, os, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ['CA'])
out = []
# STARTTLS on the plain port: capabilities change after the handshake.
m = imaplib.IMAP4('localhost', int(os.environ['PORT']))
assert 'STARTTLS' in m.capabilities and 'LOGINDISABLED' in m.capabilities, m.capabilities
m.starttls(ssl_context=ctx)
assert 'STARTTLS' not in m.capabilities, m.capabilities
assert 'LOGINDISABLED' not in m.capabilities and 'AUTH=PLAIN' in m.capabilities, m.capabilities
m.login(os.environ['USER'], os.environ['PASS'])
m.select('INBOX')
typ, data = m.fetch('1', '(BODY.PEEK[])')
out.append(data[0][1])
m.logout()
# Implicit TLS.
s = imaplib.IMAP4_SSL('localhost', int(os.environ['TLS_PORT']), ssl_context=ctx)
assert 'AUTH=PLAIN' in s.capabilities and 'STARTTLS' not in s.capabilities, s.capabilities
s.login(os.environ['USER'], os.environ['PASS'])
s.select('INBOX', readonly=True)
typ, data = s.fetch('2', '(BODY.PEEK[])')
out.append(data[0][1])
typ, data = s.list()
assert any(b'INBOX' in l for l in data), data
s.logout()
sys.stdout.write('|'.join(x.hex() for x in out))
"#;

#[tokio::test(flavor = "multi_thread")]
async fn imaplib_over_starttls_and_implicit_tls() {
    if !have_python() {
        return;
    }
    let t = start_tls(|c| c.auth.plaintext_loopback = false).await;
    let (m1, m2) = (sample_message(1), sample_message(2));
    t.deliver("INBOX", &m1).await;
    t.deliver("INBOX", &m2).await;
    let out = t.py(IMAPLIB_TLS).await;
    let got: Vec<&str> = out.trim().split('|').collect();
    assert_eq!(got.len(), 2, "{out}");
    assert_eq!(got[0], hex(&m1), "message over STARTTLS differs");
    assert_eq!(got[1], hex(&m2), "message over IMAPS differs");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn curl_imaps_and_starttls_list_and_fetch() {
    if !eider_tests::require("curl", eider_tests::have_command("curl")) {
        return;
    }
    let t = start_tls(|c| c.auth.plaintext_loopback = false).await;
    let msg = sample_message(3);
    t.deliver("INBOX", &msg).await;
    let user = format!("{USER}:{PASS}");
    let ca = t.ca.display().to_string();
    let bases = [
        (format!("imaps://localhost:{}", t.tls_addr.port()), false),
        (format!("imap://localhost:{}", t.port()), true),
    ];
    for (base, starttls) in bases {
        let mut args = vec!["-sS", "--max-time", "30", "--cacert", &ca, "--user", &user];
        if starttls {
            args.push("--ssl-reqd");
        }
        let list_url = format!("{base}/");
        let fetch_url = format!("{base}/INBOX;UID=1");
        let list = t
            .run_tool("curl", &[&args[..], &[&list_url]].concat(), &[])
            .await;
        assert!(list.contains("\"/\" INBOX"), "{base}: {list}");
        let body = t
            .run_tool("curl", &[&args[..], &[&fetch_url]].concat(), &[])
            .await;
        assert_eq!(body.as_bytes(), &msg[..], "{base}: fetched bytes differ");
    }
}

/// Logs in, enables COMPRESS (optionally with compressed commands pipelined right behind it),
/// fetches message 1 through the compressed stream, checks a second COMPRESS is refused.
const COMPRESS: &str = r#"
import os, socket, ssl, sys, zlib
mode = sys.argv[1]
port = int(os.environ['TLS_PORT'] if mode == 'tls' else os.environ['PORT'])
s = socket.create_connection(('localhost', port), timeout=20)
if mode == 'tls':
    ctx = ssl.create_default_context(cafile=os.environ['CA'])
    s = ctx.wrap_socket(s, server_hostname='localhost')
buf = b''
def line():
    global buf
    while b'\r\n' not in buf:
        d = s.recv(65536)
        assert d, 'closed'
        buf += d
    l, buf = buf.split(b'\r\n', 1)
    return l
assert line().startswith(b'* OK')
s.sendall(b'a LOGIN %s %s\r\n' % (os.environ['USER'].encode(), os.environ['PASS'].encode()))
l = line()
assert l.startswith(b'a OK') and b'COMPRESS=DEFLATE' in l, l
co = zlib.compressobj(wbits=-15)
de = zlib.decompressobj(wbits=-15)
def z(cmd):
    return co.compress(cmd) + co.flush(zlib.Z_SYNC_FLUSH)
if mode == 'pipelined':
    # The compressed command follows COMPRESS in the same packet (RFC 4978 §3 allows it).
    s.sendall(b'c COMPRESS DEFLATE\r\n' + z(b'd SELECT INBOX\r\n'))
else:
    s.sendall(b'c COMPRESS DEFLATE\r\n')
l = line()
assert l.startswith(b'c OK'), l
zbuf = b''
if mode == 'pipelined':
    # The compressed answer to the pipelined SELECT may come in the same read as the OK: what
    # follows the OK line is deflate data.
    zbuf = de.decompress(buf)
else:
    assert buf == b'', 'uncompressed bytes after the OK'
    s.sendall(z(b'd SELECT INBOX\r\n'))
def zline():
    global zbuf
    while b'\r\n' not in zbuf:
        d = s.recv(65536)
        assert d, 'closed'
        zbuf += de.decompress(d)
    l, zbuf = zbuf.split(b'\r\n', 1)
    return l + b'\r\n'
def zuntil(marker):
    # Decompressed lines up to and including the one starting with `marker` (no literals).
    out = b''
    while True:
        l = zline()
        out += l
        if l.startswith(marker):
            return out
selected = zuntil(b'd ')
# IDLE through the compressed stream: continuation, DONE, tagged OK (each needs a sync flush).
s.sendall(z(b'i IDLE\r\n'))
assert zuntil(b'+ ').endswith(b'\r\n')
s.sendall(z(b'DONE\r\n'))
assert b'i OK' in zuntil(b'i '), 'IDLE under COMPRESS'
sys.stdout.buffer.write(selected)
s.sendall(z(b'e FETCH 1 BODY.PEEK[]\r\nf COMPRESS DEFLATE\r\ng CAPABILITY\r\nh LOGOUT\r\n'))
plain = zbuf
while not plain.rstrip().endswith(b'h OK Logout completed') and b'\r\nh ' not in plain:
    d = s.recv(65536)
    if not d:
        break
    plain += de.decompress(d)
sys.stdout.buffer.write(plain)
"#;

#[tokio::test(flavor = "multi_thread")]
async fn compress_deflate_plain_pipelined_and_under_tls() {
    if !have_python() {
        return;
    }
    let t = start_tls(|_| {}).await;
    let msg = sample_message(4);
    t.deliver("INBOX", &msg).await;
    for mode in ["plain", "pipelined", "tls"] {
        let out = t
            .run_tool(
                "python3",
                &["-c", COMPRESS, mode],
                &[
                    ("TLS_PORT", &t.tls_addr.port().to_string()),
                    ("CA", &t.ca.display().to_string()),
                ],
            )
            .await;
        let text = String::from_utf8_lossy(out.as_bytes()).into_owned();
        assert!(text.contains("d OK ["), "{mode}: SELECT failed: {text}");
        let literal = format!("BODY[] {{{}}}\r\n", msg.len());
        let at = text
            .find(&literal)
            .unwrap_or_else(|| panic!("{mode}: {text}"));
        let body = &out.as_bytes()[at + literal.len()..at + literal.len() + msg.len()];
        assert_eq!(body, &msg[..], "{mode}: fetched bytes differ");
        assert!(
            text.contains("f NO [COMPRESSIONACTIVE]"),
            "{mode}: second COMPRESS: {text}"
        );
        let caps = text
            .lines()
            .find(|l| l.starts_with("* CAPABILITY"))
            .unwrap();
        assert!(!caps.contains("COMPRESS=DEFLATE"), "{mode}: {caps}");
        assert!(text.contains("h OK"), "{mode}: {text}");
    }
}

/// Logs in `n` times on `addr`; returns the tagged LOGIN answers.
async fn logins(addr: SocketAddr, n: usize) -> (Vec<Client>, Vec<String>) {
    let mut clients = Vec::new();
    let mut answers = Vec::new();
    for _ in 0..n {
        let (mut c, _) = Client::connect(addr).await;
        let r = c.cmd("l", &format!("LOGIN {USER} {PASS}")).await;
        answers.push(r.last().unwrap().clone());
        clients.push(c);
    }
    (clients, answers)
}

#[tokio::test(flavor = "multi_thread")]
async fn per_user_connection_limit() {
    let w = World::start_with(|c| c.limits.imap_connections_per_user = 2).await;
    let (clients, answers) = logins(w.addr, 3).await;
    assert!(
        answers[0].starts_with("l OK") && answers[1].starts_with("l OK"),
        "{answers:?}"
    );
    assert!(answers[2].starts_with("l NO [LIMIT]"), "{answers:?}");
    // The refused connection stays usable and not authenticated.
    let mut clients = clients;
    let r = clients[2].cmd("s", "SELECT INBOX").await;
    assert!(r.last().unwrap().starts_with("s BAD"), "{r:?}");
    // One session ends: its slot is free again.
    let r = clients[0].cmd("o", "LOGOUT").await;
    assert!(r.last().unwrap().starts_with("o OK"), "{r:?}");
    drop(clients.remove(0));
    let mut ok = false;
    for _ in 0..50 {
        let (_, answers) = logins(w.addr, 1).await;
        if answers[0].starts_with("l OK") {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the slot of the closed session was not released");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_failures_close_the_connection() {
    let w = World::start_opts(eider_imapd::Options {
        max_auth_failures: 2,
        ..Default::default()
    })
    .await;
    let (mut c, _) = Client::connect(w.addr).await;
    let r = c.cmd("a", &format!("LOGIN {USER} wrong")).await;
    assert!(
        r.last().unwrap().starts_with("a NO [AUTHENTICATIONFAILED]"),
        "{r:?}"
    );
    c.send(format!("b LOGIN {USER} wrong\r\n").as_bytes()).await;
    let mut got = Vec::new();
    while let Some(r) = c.response().await {
        got.push(String::from_utf8_lossy(&r).trim_end().to_owned());
    }
    assert!(got[0].starts_with("b NO [AUTHENTICATIONFAILED]"), "{got:?}");
    assert!(got.last().unwrap().starts_with("* BYE"), "{got:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn per_user_limit_holds_across_servers_with_redis() {
    let Some(redis) = eider_tests::redis_server::RedisServer::start().unwrap() else {
        return;
    };
    let inner = harness::World::new(|c| c.limits.imap_connections_per_user = 1).unwrap();
    inner
        .user(USER, PASS, &["alice@example.org"])
        .await
        .unwrap();
    let ttl = Duration::from_secs(3);
    let (a, _) = start_on(
        &inner,
        Some(Counters::redis(&redis.url(), ttl).unwrap()),
        false,
    )
    .await;
    let (b, _) = start_on(
        &inner,
        Some(Counters::redis(&redis.url(), ttl).unwrap()),
        false,
    )
    .await;
    let (mut held, answers) = logins(a, 1).await;
    assert!(answers[0].starts_with("l OK"), "{answers:?}");
    let (_, answers) = logins(b, 1).await;
    assert!(
        answers[0].starts_with("l NO [LIMIT]"),
        "the other server must see the lease: {answers:?}"
    );
    let r = held[0].cmd("o", "LOGOUT").await;
    assert!(r.last().unwrap().starts_with("o OK"), "{r:?}");
    drop(held);
    let mut ok = false;
    for _ in 0..40 {
        let (_, answers) = logins(b, 1).await;
        if answers[0].starts_with("l OK") {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the lease was not released in Redis");
}
