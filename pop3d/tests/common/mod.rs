//! Test harness: a fresh embedded store and a POP3 server on 127.0.0.1:0 per test, users and
//! messages put straight into the store, and a tiny raw POP3 client.

#![allow(dead_code, clippy::unwrap_used)]

use eider_model::types::{MailboxId, Uid};
use eider_model::{Flags, MessageMeta, NewMessage, NewUser, Segment, Transfer, User};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::config::Config;
use eider_store::MailStore;
use eider_store::content::put_blob;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

pub struct Server {
    pub addr: SocketAddr,
    /// The implicit-TLS listener, when `[tls]` is configured.
    pub tls_addr: Option<SocketAddr>,
    pub store: Arc<dyn MailStore>,
    pub shutdown: Shutdown,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_in(tempfile::tempdir().unwrap(), tweak).await
    }

    /// Stops the server, closes the store, and starts a new server over the same directory.
    pub async fn restart(self) -> Self {
        let Server {
            store,
            shutdown,
            task,
            _dir: dir,
            ..
        } = self;
        shutdown.cancel();
        task.await.unwrap().unwrap();
        drop(store);
        Self::start_in(dir, |_| {}).await
    }

    async fn start_in(dir: tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::default();
        config.auth.failure_delay_ms = 50;
        tweak(&mut config);
        let store: Arc<dyn MailStore> =
            Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tls_listener = match config.tls.cert.is_empty() {
            true => None,
            false => Some(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap()),
        };
        let tls_addr = tls_listener.as_ref().map(|l| l.local_addr().unwrap());
        let shutdown = Shutdown::new();
        let ctx = Context::new(Arc::new(config), store.clone());
        let task = tokio::spawn(eider_pop3d::run_listeners(
            Some(listener),
            tls_listener,
            ctx,
            shutdown.clone(),
        ));
        Self {
            addr,
            tls_addr,
            store,
            shutdown,
            task,
            _dir: dir,
        }
    }

    pub async fn user(&self, name: &str, password: &str) -> User {
        self.store
            .create_user(NewUser {
                username: name.into(),
                password_hash: eider_runtime::password::hash(password).unwrap(),
                quota: 0,
                limits: Default::default(),
                spam_level: 50,
            })
            .await
            .unwrap()
    }

    pub async fn mailbox(&self, user: &User, path: &str) -> MailboxId {
        self.store
            .find_mailbox(user.id, path)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// Delivers `bytes` to INBOX as a per-recipient inline prefix plus one blob (as ingest does).
    pub async fn deliver(&self, user: &User, bytes: &[u8]) -> Uid {
        let inbox = self.mailbox(user, "INBOX").await;
        self.append(inbox, bytes).await
    }

    pub async fn append(&self, mailbox: MailboxId, bytes: &[u8]) -> Uid {
        let split = bytes
            .windows(2)
            .position(|w| w == b"\r\n")
            .map_or(0, |i| i + 2);
        let (prefix, rest) = bytes.split_at(split);
        let mut segments = vec![Segment::Inline(prefix.to_vec())];
        if !rest.is_empty() {
            let blob = put_blob(self.store.as_ref(), rest).await.unwrap();
            segments.push(Segment::Blob {
                blob: blob.id,
                offset: 0,
                len: rest.len() as u64,
                transfer: Transfer::Identity,
                encoded_len: rest.len() as u64,
            });
        }
        let message = NewMessage {
            flags: Flags::default(),
            internal_date: 1_700_000_000,
            internal_tz_minutes: 0,
            segments,
            size: bytes.len() as u64,
            sha256: Sha256::digest(bytes).into(),
            meta: MessageMeta::default(),
        };
        self.store.append(mailbox, message).await.unwrap().uid
    }

    pub async fn uids(&self, mailbox: MailboxId) -> Vec<Uid> {
        self.store
            .list_messages(mailbox, Uid(1)..=Uid(u32::MAX))
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.uid)
            .collect()
    }

    pub async fn seen(&self, mailbox: MailboxId) -> Vec<Uid> {
        self.store
            .list_messages(mailbox, Uid(1)..=Uid(u32::MAX))
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.flags.seen())
            .map(|m| m.uid)
            .collect()
    }

    pub async fn client(&self) -> Client {
        Client::connect(self.addr).await
    }
}

/// Writes a self-signed certificate for `127.0.0.1` and `localhost` into `dir`; returns the
/// certificate and key paths.
pub fn test_cert(dir: &std::path::Path) -> (String, String) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()]).unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert.display().to_string(), key.display().to_string())
}

/// A test message of about `size` bytes with lines that need dot-stuffing.
pub fn message(n: usize, size: usize) -> Vec<u8> {
    let mut m = format!(
        "Return-Path: <sender@example.org>\r\nFrom: sender@example.org\r\nTo: u@example.org\r\n\
         Subject: message {n}\r\nMessage-ID: <{n}@example.org>\r\n\r\n.leading dot\r\n..two\r\n.\r\n"
    )
    .into_bytes();
    let mut line = 0;
    while m.len() < size {
        m.extend(format!("line {line} of message {n}: the quick brown fox\r\n").bytes());
        line += 1;
        if line % 7 == 0 {
            m.extend_from_slice(b".\r\n");
        }
    }
    m
}

/// A line-oriented POP3 client for protocol-level checks.
pub struct Client {
    pub r: BufReader<TcpStream>,
}

impl Client {
    pub async fn connect(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).await.unwrap();
        let mut c = Self {
            r: BufReader::new(s),
        };
        assert!(c.line().await.starts_with("+OK"));
        c
    }

    pub async fn send(&mut self, line: &str) {
        self.r
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .unwrap();
    }

    /// One response line without CRLF ("" at EOF).
    pub async fn line(&mut self) -> String {
        let mut buf = Vec::new();
        self.r.read_until(b'\n', &mut buf).await.unwrap();
        String::from_utf8_lossy(&buf)
            .trim_end_matches("\r\n")
            .to_owned()
    }

    pub async fn cmd(&mut self, line: &str) -> String {
        self.send(line).await;
        self.line().await
    }

    /// The body of a multi-line response, un-stuffed, exactly as sent.
    pub async fn body(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut buf = Vec::new();
            self.r.read_until(b'\n', &mut buf).await.unwrap();
            assert!(!buf.is_empty(), "EOF inside a multi-line response");
            if buf == b".\r\n" {
                return out;
            }
            let start = usize::from(buf.starts_with(b"."));
            out.extend_from_slice(&buf[start..]);
        }
    }

    pub async fn login(&mut self, user: &str, pass: &str) -> String {
        assert!(self.cmd(&format!("USER {user}")).await.starts_with("+OK"));
        self.cmd(&format!("PASS {pass}")).await
    }

    /// True once the server closed the connection.
    pub async fn closed(&mut self) -> bool {
        let mut b = [0u8; 1];
        matches!(self.r.read(&mut b).await, Ok(0) | Err(_))
    }
}

/// Whether an external client is installed; prints the skip notice, or fails under
/// `EIDER_REQUIRE_ALL=1`.
pub fn have(tool: &str) -> bool {
    let found = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        assert!(
            std::env::var("EIDER_REQUIRE_ALL").as_deref() != Ok("1"),
            "{tool} not installed and EIDER_REQUIRE_ALL=1"
        );
        println!("skipped: {tool} not installed");
    }
    found
}
