//! Interoperability: real POP3 clients (Python `poplib`, `curl`, `fetchmail`, `getmail6`) fetch
//! from the server, and what they store must equal, byte for byte, what was delivered (after
//! the transformations each client documents: `fetchmail` and `getmail6` write LF line ends).
//! A missing client prints "skipped: <tool> not installed" (a failure under EIDER_REQUIRE_ALL=1).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, have, message};
use eider_model::User;
use std::path::Path;
use std::process::{Command, Output};

/// Messages with dot lines, a lone-dot line and one big enough to span many read windows.
fn corpus() -> Vec<Vec<u8>> {
    vec![
        message(1, 200),
        message(2, 900_000),
        message(3, 4_000),
        b"Subject: tiny\r\n\r\n.\r\n".to_vec(),
    ]
}

async fn setup() -> (Server, User, Vec<Vec<u8>>) {
    let s = Server::start().await;
    let u = s.user("alice@example.org", "s3cret pass").await;
    let msgs = corpus();
    for m in &msgs {
        s.deliver(&u, m).await;
    }
    (s, u, msgs)
}

async fn run(mut cmd: Command) -> Output {
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    if !out.status.success() {
        panic!(
            "client failed: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

fn lf(b: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(b)
        .replace("\r\n", "\n")
        .into_bytes()
}

/// Files in `dir` (recursively), contents sorted.
fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(std::fs::read(&p).unwrap());
        }
    }
    out.sort();
    out
}

fn sorted(mut v: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    v.sort();
    v
}

/// Compares message sets, reporting the first difference readably (never the whole bytes).
#[track_caller]
fn assert_same(got: &[Vec<u8>], want: &[Vec<u8>], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: number of messages");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            let at = g.iter().zip(w.iter()).take_while(|(a, b)| a == b).count();
            let ctx = |b: &[u8]| {
                String::from_utf8_lossy(&b[at.saturating_sub(40)..(at + 40).min(b.len())])
                    .into_owned()
            };
            panic!(
                "{what}: message {i} differs at byte {at} (got {} bytes, want {}):\n got: {:?}\nwant: {:?}",
                g.len(),
                w.len(),
                ctx(g),
                ctx(w)
            );
        }
    }
}

const POPLIB: &str = r#"
import poplib, sys, os
host, port, user, pw, out, mode = sys.argv[1:7]
p = poplib.POP3(host, int(port), timeout=30)
caps = p.capa()
assert 'UIDL' in caps and 'TOP' in caps and 'USER' in caps, caps
p.user(user); p.pass_(pw)
count, total = p.stat()
sizes = [int(l.split()[1]) for l in p.list()[1]]
uidls = [l.split()[1] for l in p.uidl()[1]]
assert len(set(uidls)) == count
for i in range(1, count + 1):
    resp, lines, octets = p.retr(i)
    data = b'\r\n'.join(lines) + b'\r\n'
    assert len(data) == sizes[i - 1], (i, len(data), sizes[i - 1])
    open(os.path.join(out, '%d.eml' % i), 'wb').write(data)
    if mode == 'delete':
        p.dele(i)
print(count, total, ' '.join(u.decode() for u in uidls))
p.quit()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_poplib_fetches_exact_bytes() {
    if !have("python3") {
        return;
    }
    let (s, u, msgs) = setup().await;
    let tmp = tempfile::tempdir().unwrap();
    for mode in ["keep", "delete"] {
        let out = tmp.path().join(mode);
        std::fs::create_dir(&out).unwrap();
        let mut cmd = Command::new("python3");
        cmd.args(["-c", POPLIB, "127.0.0.1", &s.addr.port().to_string()])
            .args(["alice@example.org", "s3cret pass"])
            .arg(&out)
            .arg(mode);
        let o = run(cmd).await;
        let stdout = String::from_utf8(o.stdout).unwrap();
        assert!(stdout.starts_with(&format!("{} ", msgs.len())), "{stdout}");
        assert_same(&files(&out), &sorted(msgs.clone()), mode);
    }
    let inbox = s.mailbox(&u, "INBOX").await;
    assert!(s.uids(inbox).await.is_empty(), "DELE + QUIT emptied INBOX");
    let trash = s.mailbox(&u, "Trash").await;
    assert_eq!(
        s.uids(trash).await.len(),
        msgs.len(),
        "deleted mail went to Trash"
    );
    assert_eq!(
        s.seen(trash).await.len(),
        msgs.len(),
        "retrieved mail is \\Seen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_fetches_exact_bytes() {
    if !have("curl") {
        return;
    }
    let (s, _u, msgs) = setup().await;
    let base = format!("pop3://127.0.0.1:{}", s.addr.port());
    let curl = |path: String| {
        let mut c = Command::new("curl");
        c.args([
            "-s",
            "-S",
            "--max-time",
            "30",
            "-u",
            "alice@example.org:s3cret pass",
        ])
        .arg(path);
        c
    };
    for (i, m) in msgs.iter().enumerate() {
        let o = run(curl(format!("{base}/{}", i + 1))).await;
        assert_same(&[o.stdout], std::slice::from_ref(m), "curl RETR");
    }
    let list = run(curl(format!("{base}/"))).await;
    let want: String = msgs
        .iter()
        .enumerate()
        .map(|(i, m)| format!("{} {}\r\n", i + 1, m.len()))
        .collect();
    assert_eq!(String::from_utf8(list.stdout).unwrap(), want);
}

async fn fetchmail(s: &Server, dir: &Path, keep: bool) -> Output {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let rc = dir.join("fetchmailrc");
    std::fs::write(
        &rc,
        format!(
            "set no bouncemail\nset invisible\nset idfile \"{idfile}\"\n\
             poll 127.0.0.1 service {port} protocol pop3 uidl auth password\n  \
             user \"alice@example.org\" there with password \"s3cret pass\" is \"nobody\" here\n  \
             {keep} no rewrite sslproto \"\" mda \"/bin/sh -c 'cat > {out}/$$.eml'\"\n",
            idfile = dir.join("fetchids").display(),
            port = s.addr.port(),
            keep = if keep { "keep" } else { "nokeep" },
            out = out.display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut cmd = Command::new("fetchmail");
    cmd.env("HOME", dir)
        .args(["--nodetach", "--nosyslog", "-f"])
        .arg(&rc);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    // fetchmail exits 1 for "no mail".
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "fetchmail: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetchmail_keep_and_nokeep() {
    if !have("fetchmail") {
        return;
    }
    let (s, u, msgs) = setup().await;
    let tmp = tempfile::tempdir().unwrap();
    let want = sorted(msgs.iter().map(|m| lf(m)).collect());
    // keep: everything once; a second run finds nothing new (UIDL is stable).
    fetchmail(&s, tmp.path(), true).await;
    assert_same(&files(&tmp.path().join("out")), &want, "fetchmail keep");
    let again = tempfile::tempdir().unwrap();
    std::fs::copy(tmp.path().join("fetchids"), again.path().join("fetchids")).unwrap();
    fetchmail(&s, again.path(), true).await;
    assert!(
        files(&again.path().join("out")).is_empty(),
        "refetched kept mail"
    );
    let inbox = s.mailbox(&u, "INBOX").await;
    assert_eq!(s.uids(inbox).await.len(), msgs.len());
    // nokeep: fetch and delete.
    let del = tempfile::tempdir().unwrap();
    fetchmail(&s, del.path(), false).await;
    assert_same(&files(&del.path().join("out")), &want, "fetchmail nokeep");
    assert!(s.uids(inbox).await.is_empty());
}

async fn getmail(s: &Server, dir: &Path, delete: bool) {
    use std::os::unix::fs::PermissionsExt;
    let maildir = dir.join("Maildir");
    // getmail refuses to deliver as root: when the tests run as root, deliver as `nobody`.
    let as_root = std::env::var("USER").as_deref() == Ok("root") || is_root();
    let open = std::fs::Permissions::from_mode(0o777);
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
        std::fs::set_permissions(maildir.join(sub), open.clone()).unwrap();
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&maildir, open).unwrap();
    let user_line = if as_root { "user = nobody\n" } else { "" };
    let rc = dir.join("getmailrc");
    std::fs::write(
        &rc,
        format!(
            "[retriever]\ntype = SimplePOP3Retriever\nserver = 127.0.0.1\nport = {port}\n\
             username = alice@example.org\npassword = s3cret pass\n\n\
             [destination]\ntype = Maildir\npath = {maildir}/\n{user_line}\n\
             [options]\nread_all = false\ndelete = {delete}\nreceived = false\n\
             delivered_to = false\nverbose = 0\n",
            port = s.addr.port(),
            maildir = maildir.display(),
        ),
    )
    .unwrap();
    let mut cmd = Command::new("getmail");
    cmd.arg("--getmaildir").arg(dir).arg("--rcfile").arg(&rc);
    run(cmd).await;
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn getmail6_fetches_new_mail_once() {
    if !have("getmail") {
        return;
    }
    let (s, u, msgs) = setup().await;
    let tmp = tempfile::tempdir().unwrap();
    let maildir = tmp.path().join("Maildir");
    getmail(&s, tmp.path(), false).await;
    // getmail adds a Return-Path to messages that have none.
    let getmail_form = |m: &[u8]| {
        let m = lf(m);
        if m.starts_with(b"Return-Path:") {
            m
        } else {
            [b"Return-Path: <unknown>\n".as_slice(), &m].concat()
        }
    };
    let want: Vec<Vec<u8>> = sorted(msgs.iter().map(|m| getmail_form(m)).collect());
    assert_same(&files(&maildir), &want, "getmail first run");
    // Only the new message is fetched next time (getmail remembers UIDLs).
    let extra = message(42, 1234);
    s.deliver(&u, &extra).await;
    getmail(&s, tmp.path(), true).await;
    let mut want2 = want.clone();
    want2.push(getmail_form(&extra));
    assert_same(&files(&maildir), &sorted(want2), "getmail second run");
}
