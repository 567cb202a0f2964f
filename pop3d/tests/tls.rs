//! STLS (RFC 2595) and implicit TLS with a test certificate: raw protocol checks, Python
//! `poplib` and `curl`, fetching byte-exact messages; plaintext login refused before TLS.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, have, message, test_cert};
use std::process::Command;
use tokio::io::AsyncWriteExt;

struct Tls {
    s: Server,
    cert: String,
    msgs: Vec<Vec<u8>>,
    _dir: tempfile::TempDir,
}

/// A server whose plaintext login is allowed only after TLS (even from loopback).
async fn setup() -> Tls {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = test_cert(dir.path());
    let (c2, k2) = (cert.clone(), key.clone());
    let s = Server::start_with(move |c| {
        c.tls.cert = c2;
        c.tls.key = k2;
        c.auth.plaintext_loopback = false;
    })
    .await;
    let u = s.user("alice", "pw").await;
    let msgs = vec![message(1, 500), message(2, 400_000)];
    for m in &msgs {
        s.deliver(&u, m).await;
    }
    Tls {
        s,
        cert,
        msgs,
        _dir: dir,
    }
}

#[tokio::test]
async fn plaintext_is_refused_before_stls() {
    let t = setup().await;
    let mut c = t.s.client().await;
    assert!(c.cmd("CAPA").await.starts_with("+OK"));
    let caps = String::from_utf8(c.body().await).unwrap();
    assert!(caps.lines().any(|l| l == "STLS"), "{caps}");
    assert!(
        !caps.lines().any(|l| l == "USER" || l.starts_with("SASL")),
        "{caps}"
    );
    assert_eq!(
        c.cmd("USER alice").await,
        "-ERR [AUTH] plaintext authentication needs TLS (use STLS)"
    );
    assert!(
        c.cmd("AUTH PLAIN AGFsaWNlAHB3")
            .await
            .starts_with("-ERR [AUTH]")
    );
    // A command pipelined behind STLS would be injected into the TLS session: refused.
    c.r.get_mut()
        .write_all(b"STLS\r\nUSER alice\r\n")
        .await
        .unwrap();
    assert_eq!(c.line().await, "-ERR no pipelining after STLS");
    assert!(c.closed().await);
}

const POPLIB_TLS: &str = r#"
import poplib, ssl, sys
host, port, tls_port, cafile = sys.argv[1:5]
ctx = ssl.create_default_context(cafile=cafile)
out = []
p = poplib.POP3(host, int(port), timeout=30)
assert 'STLS' in p.capa()
p.stls(context=ctx)
caps = p.capa()
assert 'STLS' not in caps and 'USER' in caps, caps
p.user('alice'); p.pass_('pw')
out.append(b'\r\n'.join(p.retr(2)[1]) + b'\r\n')
p.quit()
q = poplib.POP3_SSL(host, int(tls_port), context=ctx, timeout=30)
q.user('alice'); q.pass_('pw')
out.append(b'\r\n'.join(q.retr(1)[1]) + b'\r\n')
q.quit()
sys.stdout.buffer.write(b'\0'.join(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poplib_over_stls_and_implicit_tls() {
    if !have("python3") {
        return;
    }
    let t = setup().await;
    let mut cmd = Command::new("python3");
    cmd.args(["-c", POPLIB_TLS, "127.0.0.1"])
        .arg(t.s.addr.port().to_string())
        .arg(t.s.tls_addr.unwrap().port().to_string())
        .arg(&t.cert);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Vec<&[u8]> = out.stdout.split(|&b| b == 0).collect();
    assert_eq!(got.len(), 2);
    assert!(got[0] == t.msgs[1].as_slice(), "STLS RETR differs");
    assert!(got[1] == t.msgs[0].as_slice(), "POP3S RETR differs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_over_stls_and_pop3s() {
    if !have("curl") {
        return;
    }
    let t = setup().await;
    let urls = [
        (format!("pop3://127.0.0.1:{}/2", t.s.addr.port()), 1),
        (
            format!("pop3s://127.0.0.1:{}/1", t.s.tls_addr.unwrap().port()),
            0,
        ),
    ];
    for (url, i) in urls {
        let mut cmd = Command::new("curl");
        cmd.args([
            "-s",
            "-S",
            "--ssl-reqd",
            "--max-time",
            "30",
            "--cacert",
            &t.cert,
        ])
        .args(["-u", "alice:pw", &url]);
        let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout == t.msgs[i], "{url}: bytes differ");
    }
}
