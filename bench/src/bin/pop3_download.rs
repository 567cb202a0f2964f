//! POP3 download throughput, Eider against Dovecot on the same messages.
//!
//! Takes the first `N` (default 2,000) messages of the real-mail corpus (`EIDER_CORPUS` or
//! `../shared/corpus`, folder `linux-mips`), in CRLF form. Eider: a fresh embedded store, the
//! messages appended to one user's INBOX, `eider-pop3d` on its own runtime threads. Dovecot: a
//! private instance started with `../shared/tools/dovecot-up.sh` on its own ports, the same
//! messages written into the user's Maildir (CRLF, so both servers send the stored bytes
//! unchanged). The same client then logs in, sends `RETR 1..N` (sequential, one command per
//! round trip; then pipelined in batches of 50) and checks every message against what was
//! delivered. One warm-up session per server, then `ROUNDS` timed sessions each, alternating.
//!
//! Usage: `cargo run --release -p eider-bench --bin pop3-download [N] [ROUNDS]`

use anyhow::{Context as _, bail, ensure};
use eider_model::{Flags, MessageMeta, NewMessage, NewUser, Segment, Transfer};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_store::MailStore;
use eider_store::content::put_blob;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const DOVECOT_POP3: u16 = 11110;

fn corpus_messages(n: usize) -> anyhow::Result<Vec<Vec<u8>>> {
    let root = std::env::var_os("EIDER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    let dir = root.join("linux-mips");
    let mut files = Vec::new();
    walk(&dir, &mut files).with_context(|| format!("corpus not found at {}", dir.display()))?;
    files.sort();
    let mut out = Vec::with_capacity(n);
    for f in files.into_iter().take(n) {
        let raw = std::fs::read(&f)?;
        out.push(crlf(&raw));
    }
    ensure!(out.len() == n, "corpus has only {} messages", out.len());
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
    Ok(())
}

/// CRLF line ends throughout, without an mbox `From ` line; ends with CRLF.
fn crlf(raw: &[u8]) -> Vec<u8> {
    let raw = if raw.starts_with(b"From ") {
        raw.iter()
            .position(|&b| b == b'\n')
            .map_or(raw, |i| &raw[i + 1..])
    } else {
        raw
    };
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 30);
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let body = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(line);
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Eider on its own runtime; returns the address and the shutdown token.
fn start_eider(dir: &Path, msgs: &[Vec<u8>]) -> anyhow::Result<(SocketAddr, Shutdown)> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let store: Arc<dyn MailStore> = Arc::new(EmbeddedStore::open(dir, EmbeddedOptions::default())?);
    let listener = rt.block_on(async {
        let user = store
            .create_user(NewUser {
                username: "bench".into(),
                password_hash: eider_runtime::password::hash("pass")?,
                quota: 0,
                limits: Default::default(),
                spam_level: 50,
            })
            .await?;
        let inbox = store
            .find_mailbox(user.id, "INBOX")
            .await?
            .context("no INBOX")?;
        for m in msgs {
            let blob = put_blob(store.as_ref(), m).await?;
            let message = NewMessage {
                flags: Flags::default(),
                internal_date: 1_700_000_000,
                internal_tz_minutes: 0,
                segments: vec![Segment::Blob {
                    blob: blob.id,
                    offset: 0,
                    len: m.len() as u64,
                    transfer: Transfer::Identity,
                    encoded_len: m.len() as u64,
                }],
                size: m.len() as u64,
                sha256: Sha256::digest(m).into(),
                meta: MessageMeta::default(),
            };
            store.append(inbox.id, message).await?;
        }
        anyhow::Ok(tokio::net::TcpListener::bind("127.0.0.1:0").await?)
    })?;
    let addr = listener.local_addr()?;
    let mut config = Config::default();
    config.pop3.max_messages = 0;
    let ctx = Context::new(Arc::new(config), store);
    let shutdown = Shutdown::new();
    let stop = shutdown.clone();
    std::thread::spawn(move || rt.block_on(eider_pop3d::run(listener, ctx, stop)));
    Ok((addr, shutdown))
}

/// A private Dovecot with the messages in `bench`'s... testuser1's Maildir.
fn start_dovecot(msgs: &[Vec<u8>]) -> anyhow::Result<PathBuf> {
    let dt = PathBuf::from("/tmp/dovecot-pop3-bench");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/dovecot-up.sh");
    let status = std::process::Command::new("bash")
        .arg(&script)
        .arg("--clean")
        .env("DT", &dt)
        .env("NUSERS", "1")
        .env("POP3_PORT", DOVECOT_POP3.to_string())
        .env("IMAP_PORT", "11143")
        .env("LMTP_PORT", "11024")
        .status()?;
    ensure!(status.success(), "dovecot-up.sh failed");
    let maildir = dt.join("mail/testuser1/Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub))?;
    }
    for (i, m) in msgs.iter().enumerate() {
        // Oldest first: Dovecot assigns UIDs in file-name order for new mail.
        let name = format!("{}.M{i:06}P1.bench,S={}", 1_700_000_000 + i, m.len());
        std::fs::write(maildir.join("new").join(name), m)?;
    }
    let status = std::process::Command::new("chown")
        .args(["-R", "vmail:vmail"])
        .arg(dt.join("mail"))
        .status()?;
    ensure!(status.success(), "chown failed");
    Ok(dt)
}

fn stop_dovecot(dt: &Path) {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/tools/dovecot-down.sh");
    let _ = std::process::Command::new("bash")
        .arg(script)
        .env("DT", dt)
        .status();
}

/// One session: login, RETR every message, verify, QUIT. Returns (time to login, total time).
async fn session(
    addr: SocketAddr,
    user: &str,
    msgs: &[Vec<u8>],
    pipeline: usize,
) -> anyhow::Result<(Duration, Duration)> {
    let start = Instant::now();
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let mut c = BufReader::with_capacity(256 * 1024, tcp);
    let mut line = Vec::new();
    let expect_ok = async |c: &mut BufReader<TcpStream>, line: &mut Vec<u8>| {
        line.clear();
        c.read_until(b'\n', line).await?;
        if !line.starts_with(b"+OK") {
            bail!("server said {:?}", String::from_utf8_lossy(line));
        }
        anyhow::Ok(())
    };
    expect_ok(&mut c, &mut line).await?;
    c.get_mut()
        .write_all(format!("USER {user}\r\nPASS pass\r\n").as_bytes())
        .await?;
    expect_ok(&mut c, &mut line).await?;
    expect_ok(&mut c, &mut line).await?;
    let login = start.elapsed();
    let mut body = Vec::with_capacity(1 << 20);
    for batch_start in (0..msgs.len()).step_by(pipeline) {
        let batch_end = (batch_start + pipeline).min(msgs.len());
        let mut cmds = String::new();
        for i in batch_start..batch_end {
            cmds.push_str(&format!("RETR {}\r\n", i + 1));
        }
        c.get_mut().write_all(cmds.as_bytes()).await?;
        for want in &msgs[batch_start..batch_end] {
            expect_ok(&mut c, &mut line).await?;
            body.clear();
            loop {
                line.clear();
                c.read_until(b'\n', &mut line).await?;
                ensure!(!line.is_empty(), "EOF in RETR");
                if line == b".\r\n" {
                    break;
                }
                let skip = usize::from(line.starts_with(b"."));
                body.extend_from_slice(&line[skip..]);
            }
            ensure!(body == *want, "a message differs from what was delivered");
        }
    }
    c.get_mut().write_all(b"QUIT\r\n").await?;
    expect_ok(&mut c, &mut line).await?;
    Ok((login, start.elapsed()))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().map_or(Ok(2000), |a| a.parse())?;
    let rounds: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let msgs = corpus_messages(n)?;
    let total: usize = msgs.iter().map(Vec::len).sum();
    println!(
        "{n} messages from linux-mips, {:.1} MB (CRLF)",
        total as f64 / 1e6
    );
    let tmp = tempfile::tempdir()?;
    // Eider's runtime must be built outside this one.
    let (dir, copy) = (tmp.path().to_owned(), msgs.clone());
    let (eider, shutdown) = std::thread::spawn(move || start_eider(&dir, &copy))
        .join()
        .map_err(|_| anyhow::anyhow!("Eider setup panicked"))??;
    let dt = start_dovecot(&msgs)?;
    let dovecot: SocketAddr = ([127, 0, 0, 1], DOVECOT_POP3).into();
    let result = async {
        println!("| server | mode | median session | of which login | MB/s | messages/s |");
        println!("|---|---|---|---|---|---|");
        for pipeline in [1, 50] {
            let mode = if pipeline == 1 {
                "sequential"
            } else {
                "pipelined x50"
            };
            // Warm-up: Dovecot indexes the new Maildir files, Eider fills its caches.
            session(eider, "bench", &msgs, pipeline).await?;
            session(dovecot, "testuser1", &msgs, pipeline).await?;
            let (mut te, mut td) = (Vec::new(), Vec::new());
            let (mut le, mut ld) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                let (l, t) = session(eider, "bench", &msgs, pipeline).await?;
                le.push(l);
                te.push(t);
                let (l, t) = session(dovecot, "testuser1", &msgs, pipeline).await?;
                ld.push(l);
                td.push(t);
            }
            let rows = [
                ("Eider", median(te), median(le)),
                ("Dovecot 2.3", median(td), median(ld)),
            ];
            for (name, t, login) in rows {
                let s = t.as_secs_f64();
                println!(
                    "| {name} | {mode} | {:.1} ms | {:.1} ms | {:.1} | {:.0} |",
                    s * 1e3,
                    login.as_secs_f64() * 1e3,
                    total as f64 / 1e6 / s,
                    n as f64 / s
                );
            }
        }
        anyhow::Ok(())
    }
    .await;
    shutdown.cancel();
    stop_dovecot(&dt);
    result
}
