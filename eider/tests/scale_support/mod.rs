//! The multi-process world of the scale-out tests: a private SecantusDB (the MongoDB stand-in,
//! on its own port and data directory, so it can be stopped and restarted), a private Redis, and
//! the real daemon binaries (`eider-ingest`, `eider-imapd`) started as processes on one config
//! file with `store.backend = "mongodb"` and `[redis] url` set.
//!
//! Skip rule: the MongoDB tests' rule (skipped without `EIDER_TEST_MONGODB_URL`, which marks a
//! machine set up for them; failing under `EIDER_REQUIRE_ALL=1` when the stand-in or
//! `redis-server` is missing). The daemons listen on port 0; their address is read from the
//! `NAME listening on ADDR` line of their log.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use eider_model::NewUser;
use eider_store::MailStore;
use eider_store::mongo::{MongoOptions, MongoStore};
use eider_tests::redis_server::RedisServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use crate::bins::build;

fn skip(what: &str) {
    assert!(
        !eider_tests::require_all(),
        "{what}, and EIDER_REQUIRE_ALL=1 forbids skipping"
    );
    println!("skipped: {what}");
    eprintln!("skipped: {what}");
}

fn secantusd() -> Option<PathBuf> {
    let path = std::env::var_os("EIDER_SECANTUSD")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/secantus/bin/secantusd-py"));
    path.is_file().then_some(path)
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn sigterm(child: &Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
}

/// A private SecantusDB with on-disk storage: stop and start keep the data.
pub struct Mongo {
    bin: PathBuf,
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// `--sync-on-commit`: fsync the journal at every commit, as mongod does for `w: majority`
    /// (journaled by default). Without it the stand-in's transaction commits reach its log
    /// buffer only, so a `kill -9` can lose the last acknowledged ones.
    sync_on_commit: bool,
}

impl Mongo {
    pub fn start(bin: PathBuf, dir: &Path, sync_on_commit: bool) -> Self {
        let mut m = Self {
            bin,
            port: free_port(),
            dir: dir.to_path_buf(),
            child: None,
            sync_on_commit,
        };
        m.restart();
        m
    }

    pub fn url(&self) -> String {
        format!("mongodb://127.0.0.1:{}/?directConnection=true", self.port)
    }

    /// (Re)starts on the same port and data directory; waits until it accepts connections.
    pub fn restart(&mut self) {
        self.stop();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("secantus.log"))
            .unwrap();
        let mut cmd = Command::new(&self.bin);
        if self.sync_on_commit {
            cmd.arg("--sync-on-commit");
        }
        let child = cmd
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(self.dir.join("mongo-data"))
            .args(["--log-level", "WARNING"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start secantusd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "secantusd did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Crashes the server (`kill -9`): no shutdown, whatever it had not made durable is lost.
    pub fn crash(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-9", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let _ = child.wait();
        }
    }

    /// Stops the server as an operator would (SIGTERM; SIGKILL after 20 s).
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        sigterm(&child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Mongo {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One daemon process; its stderr goes to `<dir>/<name>.log`. Killed on drop.
pub struct Daemon {
    pub name: String,
    child: Option<Child>,
    pub log: PathBuf,
    /// Where it listens (`127.0.0.1:PORT`).
    pub addr: String,
}

impl Daemon {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or(0)
    }

    /// `kill -9`: no shutdown, no lease release.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-9", &child.id().to_string()])
                .status()
                .unwrap();
            assert!(status.success());
            let _ = child.wait();
        }
    }

    /// Still running (not exited, not crashed)?
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            sigterm(&child);
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Knobs the tests turn in the shared config file.
pub struct Tuning {
    pub lease_ttl_secs: u64,
    pub poll_interval_secs: u64,
    pub server_selection_timeout_ms: u64,
    /// Start the stand-in with `--sync-on-commit` (see [`Mongo`]).
    pub sync_on_commit: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            lease_ttl_secs: 3,
            poll_interval_secs: 1,
            server_selection_timeout_ms: 2000,
            sync_on_commit: false,
        }
    }
}

/// SecantusDB + Redis + one config file; daemons are started with [`Cluster::spawn`].
pub struct Cluster {
    pub dir: tempfile::TempDir,
    pub mongo: Mongo,
    pub redis: RedisServer,
    pub config: PathBuf,
    pub database: String,
    next: u32,
}

impl Cluster {
    /// `None` (after the skip rule) when the stand-in or Redis is not available.
    pub fn start(tag: &str, tuning: Tuning) -> Option<Self> {
        if std::env::var("EIDER_TEST_MONGODB_URL").map_or(true, |u| u.is_empty()) {
            skip("EIDER_TEST_MONGODB_URL not set");
            return None;
        }
        let Some(bin) = secantusd() else {
            skip("secantusd-py not found (set EIDER_SECANTUSD)");
            return None;
        };
        let redis = RedisServer::start().unwrap()?;
        let dir = tempfile::tempdir().unwrap();
        let mongo = Mongo::start(bin, dir.path(), tuning.sync_on_commit);
        let database = format!("eider_scale_{tag}");
        let config = dir.path().join("eider.toml");
        let text = format!(
            "data_dir = {data:?}\n\
             [store]\nbackend = \"mongodb\"\n\
             [mongodb]\nurl = {url:?}\ndatabase = {database:?}\n\
             server_selection_timeout_ms = {sst}\nmax_pool_size = 32\n\
             [redis]\nurl = {redis:?}\npoll_interval_secs = {poll}\nlease_ttl_secs = {ttl}\n\
             [lmtp]\nlisten = \"127.0.0.1:0\"\n\
             [imap]\nlisten = \"127.0.0.1:0\"\n\
             [pop3]\nlisten = \"127.0.0.1:0\"\n\
             [api]\nlisten = \"127.0.0.1:0\"\n\
             [auth]\nfailure_delay_ms = 20\n",
            data = dir.path().join("data"),
            url = mongo.url(),
            sst = tuning.server_selection_timeout_ms,
            redis = redis.url(),
            poll = tuning.poll_interval_secs,
            ttl = tuning.lease_ttl_secs,
        );
        std::fs::write(&config, text).unwrap();
        Some(Self {
            dir,
            mongo,
            redis,
            config,
            database,
            next: 0,
        })
    }

    /// An in-process handle on the same database (to create users and check results).
    pub async fn store(&self) -> Arc<dyn MailStore> {
        let options = MongoOptions {
            server_selection_timeout: Duration::from_secs(5),
            max_pool_size: 16,
            ..MongoOptions::default()
        };
        Arc::new(
            MongoStore::connect(&self.mongo.url(), &self.database, options)
                .await
                .expect("MongoStore::connect"),
        )
    }

    /// Creates `name` with password `pw` and `name@example.test`; returns it and its INBOX id.
    pub async fn user(
        &self,
        store: &dyn MailStore,
        name: &str,
    ) -> (eider_model::types::UserId, eider_model::types::MailboxId) {
        let user = store
            .create_user(NewUser {
                username: name.into(),
                password_hash: eider_runtime::password::hash("pw").unwrap(),
                quota: 0,
                limits: Default::default(),
                spam_level: 50,
            })
            .await
            .unwrap();
        let address = format!("{name}@example.test");
        let n = eider_store::address::normalize(&address).unwrap();
        store.add_address(user.id, &n, &address).await.unwrap();
        let inbox = store
            .find_mailbox(user.id, "INBOX")
            .await
            .unwrap()
            .expect("INBOX")
            .id;
        (user.id, inbox)
    }

    /// Starts `bin` on the shared config and waits for its listening line.
    pub fn spawn(&mut self, bin: &str) -> Daemon {
        let path = build(bin);
        assert!(path.is_file(), "{bin} not built at {}", path.display());
        self.next += 1;
        let log = self.dir.path().join(format!("{bin}-{}.log", self.next));
        let file = std::fs::File::create(&log).unwrap();
        let mut cmd = Command::new(&path);
        for (key, _) in std::env::vars() {
            if key.starts_with("EIDER_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .arg("-c")
            .arg(&self.config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        let mut daemon = Daemon {
            name: bin.to_owned(),
            child: Some(child),
            log,
            addr: String::new(),
        };
        let marker = format!("{bin} listening on ");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = daemon.log_text();
            if let Some(at) = text.find(&marker) {
                let rest = &text[at + marker.len()..];
                let addr: String = rest
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '\u{1b}')
                    .collect();
                daemon.addr = addr;
                return daemon;
            }
            assert!(daemon.alive(), "{bin} exited at start:\n{text}");
            assert!(Instant::now() < deadline, "{bin} did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One Redis command in inline form, its reply line (`:2`, `$-1`, `*0`, ...).
    pub fn redis_cmd(&self, command: &str) -> String {
        use std::io::{BufRead, BufReader, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.redis.port)).unwrap();
        s.write_all(format!("{command}\r\n").as_bytes()).unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }

    /// `ZCARD` of a sorted set.
    pub fn zcard(&self, key: &str) -> i64 {
        let reply = self.redis_cmd(&format!("ZCARD {key}"));
        reply
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("ZCARD {key}: {reply}"))
    }
}

/// A small message with a unique Message-ID `<tag@scale.test>`.
pub fn message(tag: &str) -> Vec<u8> {
    format!(
        "From: sender@example.org\r\nTo: someone@example.test\r\nSubject: {tag}\r\n\
         Message-ID: <{tag}@scale.test>\r\nDate: Sun, 29 Nov 2026 05:00:00 +0000\r\n\r\n\
         Body of {tag}.\r\n"
    )
    .into_bytes()
}
