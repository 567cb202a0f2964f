//! `GET /metrics` across processes: a real `eider-ingest` and a real `eider-imapd` process (each
//! over its own embedded store: only Redis is shared, which is all metrics need) publish their
//! snapshots to a private `redis-server`; an API in the test process reads them. Checked: their
//! counters appear with `daemon` and `instance` (`host:pid`) labels and exact values, a stopped
//! process's snapshot disappears at once, a killed one's after its TTL (three intervals).
//!
//! Skipped (with a message) when `redis-server` is missing, unless `EIDER_REQUIRE_ALL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bins;

use eider_model::NewUser;
use eider_runtime::metrics::check::{self, Sample, sum};
use eider_store::MailStore;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_tests::imap_client::ImapClient;
use eider_tests::lmtp_client::LmtpClient;
use eider_tests::redis_server::RedisServer;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const OP: &str = "operator-metrics-token-0123456789";

/// A config over a private data directory, Redis, one-second metrics snapshots, port 0.
/// A sample's name, some of its labels, and the expected sum.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

fn config(dir: &Path, redis: &str) -> PathBuf {
    let path = dir.join("eider.toml");
    let text = format!(
        "data_dir = {data:?}\n\
         [redis]\nurl = {redis:?}\n\
         [metrics]\npublish_interval_secs = 1\n\
         [lmtp]\nlisten = \"127.0.0.1:0\"\n\
         [imap]\nlisten = \"127.0.0.1:0\"\n\
         [api]\nlisten = \"127.0.0.1:0\"\noperator_tokens = [{OP:?}]\n\
         [auth]\nfailure_delay_ms = 20\n",
        data = dir.join("data"),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// alice / pw / alice@example.test in the embedded store under `dir` (closed again after).
async fn create_user(dir: &Path) {
    let store = EmbeddedStore::open(&dir.join("data"), EmbeddedOptions::default()).unwrap();
    store
        .create_user(NewUser {
            username: "alice".into(),
            password_hash: eider_runtime::password::hash("pw").unwrap(),
            quota: 0,
            limits: Default::default(),
            spam_level: 50,
        })
        .await
        .unwrap();
    let user = store.find_user("alice").await.unwrap().unwrap();
    let address = eider_store::address::normalize("alice@example.test").unwrap();
    store
        .add_address(user.id, &address, "alice@example.test")
        .await
        .unwrap();
}

/// A daemon process; SIGKILLed on drop if still running.
struct Proc {
    child: Option<Child>,
    addr: String,
    pid: u32,
}

impl Proc {
    fn start(bin: &str, config: &Path, dir: &Path) -> Proc {
        let path = bins::build(bin);
        let log = dir.join(format!("{bin}.log"));
        let mut cmd = Command::new(path);
        for (key, _) in std::env::vars() {
            if key.starts_with("EIDER_") {
                cmd.env_remove(key);
            }
        }
        let child = cmd
            .arg("-c")
            .arg(config)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // Owned by the guard at once, so every exit path (a failed assert too) reaps it.
        let mut proc = Proc {
            pid: child.id(),
            child: Some(child),
            addr: String::new(),
        };
        let marker = format!("{bin} listening on ");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find(&marker) {
                proc.addr = text[at + marker.len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                return proc;
            }
            assert!(Instant::now() < deadline, "{bin} did not start:\n{text}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn signal(&mut self, sig: &str) {
        if let Some(mut child) = self.child.take() {
            Command::new("kill")
                .args([sig, &child.id().to_string()])
                .status()
                .unwrap();
            let _ = child.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.signal("-KILL");
    }
}

/// `GET /metrics` over a plain HTTP/1.1 request, checked by the strict format reader.
async fn scrape(addr: &str) -> (String, Vec<Sample>) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {OP}\r\nConnection: close\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let samples = check::parse(body).unwrap_or_else(|e| panic!("{e}\n{body}"));
    (body.to_owned(), samples)
}

/// Scrapes until `done` holds (or fails after `within`).
async fn scrape_until(
    addr: &str,
    within: Duration,
    what: &str,
    done: impl Fn(&[Sample]) -> bool,
) -> Vec<Sample> {
    let deadline = Instant::now() + within;
    loop {
        let (text, samples) = scrape(addr).await;
        if done(&samples) {
            return samples;
        }
        assert!(Instant::now() < deadline, "{what}:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn from(daemon: &str, samples: &[Sample]) -> bool {
    samples.iter().any(|s| s.has(&[("daemon", daemon)]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_of_separate_processes_reach_the_api_through_redis() {
    let Some(redis) = RedisServer::start().unwrap() else {
        return;
    };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let configs: Vec<PathBuf> = dirs
        .iter()
        .map(|d| config(d.path(), &redis.url()))
        .collect();
    create_user(dirs[0].path()).await;
    create_user(dirs[1].path()).await;
    let mut ingest = Proc::start("eider-ingest", &configs[0], dirs[0].path());
    let mut imapd = Proc::start("eider-imapd", &configs[1], dirs[1].path());

    // The API in this process, started the way `daemon::start` starts one.
    let cfg = eider_runtime::daemon::load_config(Some(&configs[2])).unwrap();
    let store: Arc<dyn MailStore> = Arc::new(
        EmbeddedStore::open(&dirs[2].path().join("data"), EmbeddedOptions::default()).unwrap(),
    );
    let ctx = eider_runtime::Context::from_config(Arc::new(cfg), store).unwrap();
    let shutdown = eider_runtime::Shutdown::new();
    ctx.metrics.publish("eider-api", &shutdown);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = listener.local_addr().unwrap().to_string();
    tokio::spawn(eider_api::run(listener, ctx, shutdown.clone()));

    let mut lmtp = LmtpClient::connect(&ingest.addr).await.unwrap();
    let body = b"Subject: hi\r\n\r\nHello.\r\n";
    let (_, data) = lmtp
        .deliver("a@example.org", &["alice@example.test"], body)
        .await
        .unwrap();
    assert_eq!(data[0].code, 250);
    lmtp.quit().await.unwrap();
    let mut imap = ImapClient::connect(&imapd.addr).await.unwrap();
    assert!(!imap.command("LOGIN alice wrong").await.unwrap().is_ok());
    assert!(imap.command("LOGIN alice pw").await.unwrap().is_ok());
    assert!(imap.command("NOOP").await.unwrap().is_ok());

    let ingest_instance = format!(":{}", ingest.pid);
    let imapd_instance = format!(":{}", imapd.pid);
    let published = |s: &[Sample]| {
        sum(
            s,
            "eider_lmtp_deliveries_total",
            &[("daemon", "eider-ingest"), ("outcome", "delivered")],
        ) == 1.0
            && sum(
                s,
                "eider_imap_commands_total",
                &[("daemon", "eider-imapd"), ("command", "NOOP")],
            ) == 1.0
    };
    let started = Instant::now();
    let s = scrape_until(
        &api,
        Duration::from_secs(10),
        "both processes' counters",
        published,
    )
    .await;
    println!(
        "other processes' counters visible after {:?}",
        started.elapsed()
    );
    let cases: &[Case] = &[
        (
            "eider_lmtp_sessions_total",
            &[("daemon", "eider-ingest")],
            1.0,
        ),
        (
            "eider_lmtp_transactions_total",
            &[("daemon", "eider-ingest")],
            1.0,
        ),
        (
            "eider_imap_auth_failures_total",
            &[("daemon", "eider-imapd")],
            1.0,
        ),
        (
            "eider_imap_commands_total",
            &[
                ("daemon", "eider-imapd"),
                ("command", "LOGIN"),
                ("result", "OK"),
            ],
            1.0,
        ),
        ("eider_imap_connections", &[("daemon", "eider-imapd")], 1.0),
        // A family of another daemon is not invented for processes that do not run it.
        (
            "eider_imap_connections_total",
            &[("daemon", "eider-ingest")],
            0.0,
        ),
    ];
    for (name, labels, want) in cases {
        assert_eq!(sum(&s, name, labels), *want, "{name} {labels:?}");
    }
    for (daemon, suffix) in [
        ("eider-ingest", &ingest_instance),
        ("eider-imapd", &imapd_instance),
    ] {
        let instances: Vec<&String> = s
            .iter()
            .filter(|x| x.has(&[("daemon", daemon)]))
            .map(|x| &x.labels["instance"])
            .collect();
        assert!(!instances.is_empty() && instances.iter().all(|i| i.ends_with(suffix.as_str())));
    }
    assert!(from("eider-api", &s), "the API's own process is shown too");

    // SIGTERM: the snapshot is deleted on the way out.
    ingest.signal("-TERM");
    scrape_until(
        &api,
        Duration::from_secs(3),
        "ingest gone after SIGTERM",
        |s| !from("eider-ingest", s),
    )
    .await;
    // kill -9: nothing deleted; the snapshot expires after three intervals (3 s).
    drop(imap);
    imapd.signal("-KILL");
    let killed = Instant::now();
    assert!(
        from("eider-imapd", &scrape(&api).await.1),
        "still shown right after the kill"
    );
    scrape_until(
        &api,
        Duration::from_secs(8),
        "imapd gone after its TTL",
        |s| !from("eider-imapd", s),
    )
    .await;
    println!("killed imapd's metrics gone after {:?}", killed.elapsed());
    shutdown.cancel();
}
