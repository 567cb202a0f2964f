//! A small per-test world for the IMAP black-box tests: a fresh embedded store in a temp dir,
//! a user, and `eider_imapd::run` on `127.0.0.1:0`, stopped when the world is dropped.
//! (A shared harness lives on the `lmtp` branch; until it is in main each crate keeps its own.)

#![allow(dead_code)]

use eider_common::config::Config;
use eider_common::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_common::model::{Flags, NewUser, User};
use eider_common::types::MailboxId;
use eider_common::{Context, MailStore, Shutdown};
use std::net::SocketAddr;
use std::sync::Arc;

pub const USER: &str = "alice";
pub const PASS: &str = "secret-pw";

pub struct World {
    pub store: Arc<dyn MailStore>,
    pub config: Arc<Config>,
    pub shutdown: Shutdown,
    pub addr: SocketAddr,
    pub user: User,
    pub dir: tempfile::TempDir,
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        config.auth.failure_delay_ms = 20;
        tweak(&mut config);
        let store: Arc<dyn MailStore> = Arc::new(
            EmbeddedStore::open(&dir.path().join("store"), EmbeddedOptions::default()).unwrap(),
        );
        let user = store
            .create_user(NewUser {
                username: USER.into(),
                password_hash: eider_common::password::hash(PASS).unwrap(),
                quota: 0,
                limits: Default::default(),
                spam_level: 50,
            })
            .await
            .unwrap();
        let config = Arc::new(config);
        let shutdown = Shutdown::new();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ctx = Context {
            config: Arc::clone(&config),
            store: Arc::clone(&store),
        };
        tokio::spawn(eider_imapd::run(listener, ctx, shutdown.clone()));
        World {
            store,
            config,
            shutdown,
            addr,
            user,
            dir,
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub async fn mailbox(&self, path: &str) -> MailboxId {
        self.store
            .find_mailbox(self.user.id, path)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// Delivers `raw` into `path` the way ingest does (streamed through the splitter).
    pub async fn deliver(&self, path: &str, raw: &[u8]) -> u32 {
        let prepared =
            eider_common::ingest::prepare_message(self.store.as_ref(), raw, Default::default())
                .await
                .unwrap();
        let mailbox = self.mailbox(path).await;
        let msg = eider_common::model::NewMessage {
            flags: Flags::default(),
            internal_date: 1_700_000_000,
            internal_tz_minutes: 60,
            segments: prepared.segments,
            size: prepared.size,
            sha256: prepared.sha256,
            meta: prepared.meta,
        };
        self.store.append(mailbox, msg).await.unwrap().uid.0
    }

    /// Runs a Python script with `PORT`, `USER`, `PASS` in its environment; panics with its
    /// output if it fails. Returns stdout.
    pub async fn python(&self, script: &str) -> String {
        self.run_tool("python3", &["-c", script], &[]).await
    }

    pub async fn run_tool(&self, cmd: &str, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut c = tokio::process::Command::new(cmd);
        c.args(args)
            .env("PORT", self.port().to_string())
            .env("USER", USER)
            .env("PASS", PASS)
            .env("HOME", self.dir.path());
        for (k, v) in env {
            c.env(k, v);
        }
        let out = tokio::time::timeout(std::time::Duration::from_secs(120), c.output())
            .await
            .expect("tool timed out")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "{cmd} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            out.status
        );
        stdout
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A small multipart message with CRLF line ends.
pub fn sample_message(n: usize) -> Vec<u8> {
    format!(
        "From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Test {n}\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <m{n}@example.org>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\npreamble\r\n--b1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nHello number {n}, findme{n}\r\n--b1\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\r\n\
OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\r\n\
--b1--\r\n"
    )
    .into_bytes()
}

/// Whether python3 is available (skip convention).
pub fn have_python() -> bool {
    eider_tests::require("python3", eider_tests::have_command("python3"))
}
pub mod client;
