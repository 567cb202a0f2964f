//! The per-test world for the IMAP black-box tests: the shared harness
//! (`eider_tests::harness::World`: a fresh embedded store in a temp dir) with a user and
//! `eider_imapd::run` on `127.0.0.1:0`, plus delivery and tool-running helpers.

#![allow(dead_code)]

use eider_model::types::MailboxId;
use eider_model::{Flags, User};
use eider_runtime::config::Config;
use eider_tests::harness;
use std::net::SocketAddr;

pub const USER: &str = "alice";
pub const PASS: &str = "secret-pw";

pub struct World {
    pub inner: harness::World,
    pub addr: SocketAddr,
    pub user: User,
}

impl std::ops::Deref for World {
    type Target = harness::World;
    fn deref(&self) -> &harness::World {
        &self.inner
    }
}

impl World {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::start_full(tweak, eider_imapd::Options::default()).await
    }

    /// A server with shortened timers or limits.
    pub async fn start_opts(options: eider_imapd::Options) -> Self {
        Self::start_full(|_| {}, options).await
    }

    pub async fn start_full(
        tweak: impl FnOnce(&mut Config),
        options: eider_imapd::Options,
    ) -> Self {
        let inner = harness::World::new(tweak).unwrap();
        let user = inner
            .user(USER, PASS, &["alice@example.org"])
            .await
            .unwrap();
        let addr = inner
            .spawn(move |l, c, s| eider_imapd::run_with(l, c, s, options))
            .await
            .unwrap();
        World { inner, addr, user }
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
            eider_store::ingest::prepare_message(self.store.as_ref(), raw, Default::default())
                .await
                .unwrap();
        let mailbox = self.mailbox(path).await;
        let (msg, pending) = prepared.into_message(Flags::default(), 1_700_000_000, 60);
        let appended = self.store.append_with_blobs(mailbox, msg, pending).await;
        appended.unwrap().uid.0
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
