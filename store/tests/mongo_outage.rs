//! The MongoDB backend when its server goes away and comes back: calls fail fast with
//! `StoreError::Unavailable` (never hang, never panic), and once the server is back the same
//! store handle works again (the driver reconnects by itself) with the data intact.
//!
//! Runs its own SecantusDB on a free port with on-disk storage, so it can be stopped and
//! restarted: `$EIDER_SECANTUSD` or `/var/tmp/secantus/bin/secantusd-py` (see `.ci/run`). It
//! follows the `EIDER_TEST_MONGODB_URL` rule: skipped without that variable (a configured
//! MongoDB test setup), failing under `EIDER_REQUIRE_ALL=1` if the server binary is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mongo_support;

use eider_model::Flags;
use eider_model::types::Uid;
use eider_store::StoreError;
use eider_store::mailstore::MailStore;
use eider_store::mongo::{MongoOptions, MongoStore};
use eider_store_testkit::conformance::{check_consistency, mailbox_id, make_user, simple_message};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn secantusd() -> Option<PathBuf> {
    let path = std::env::var_os("EIDER_SECANTUSD")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/secantus/bin/secantusd-py"));
    path.is_file().then_some(path)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(bin: &Path, port: u16, dir: &Path) -> Child {
    let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
    let child = Command::new(bin)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--storage-path")
        .arg(dir.join("data"))
        .args(["--log-level", "WARNING"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start secantusd");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "secantusd did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

/// Stops the server the way an operator would (SIGTERM), then waits for it.
fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn outage_is_unavailable_then_recovers() {
    if mongo_support::test_url().is_none() {
        return;
    }
    let Some(bin) = secantusd() else {
        mongo_support::require("secantusd-py not found (set EIDER_SECANTUSD)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(&bin, port, dir.path());
    let url = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    let options = MongoOptions {
        server_selection_timeout: Duration::from_secs(2),
        connect_timeout: Duration::from_secs(1),
        ..MongoOptions::default()
    };
    let store = MongoStore::connect(&url, "outage", options).await.unwrap();
    let s: &dyn MailStore = &store;
    let user = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, user.id, "INBOX").await;
    let msg = simple_message(s, 1, 300, Flags::default()).await;
    let first = s.append(inbox, msg).await.unwrap();

    stop(server);
    // Reads and writes fail within the selection timeout (plus slack), as Unavailable.
    let pending = simple_message_offline();
    for attempt in 0..2 {
        let t = Instant::now();
        let read = s.get_mailbox(inbox).await;
        assert!(
            matches!(read, Err(StoreError::Unavailable(_))),
            "read {attempt} while down: {read:?}"
        );
        let write = s
            .set_flags(inbox, &[first.uid], pending.0, &pending.1, None)
            .await;
        assert!(
            matches!(write, Err(StoreError::Unavailable(_))),
            "write {attempt} while down: {write:?}"
        );
        // Two calls, each bounded by the 2 s server selection timeout.
        eprintln!("read + write while down: {:?}", t.elapsed());
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "took {:?}",
            t.elapsed()
        );
    }

    let server = start(&bin, port, dir.path());
    let restarted = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mailbox = loop {
        match s.get_mailbox(inbox).await {
            Ok(m) => break m.unwrap(),
            Err(e) => {
                assert!(Instant::now() < deadline, "store did not recover: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    eprintln!(
        "first successful read {:?} after restart",
        restarted.elapsed()
    );
    assert_eq!(
        mailbox.messages, 1,
        "data written before the outage survives"
    );
    let msg = simple_message(s, 2, 300, Flags::default()).await;
    let second = s.append(inbox, msg).await.unwrap();
    assert_eq!(second.uid, Uid(first.uid.0 + 1));
    check_consistency(s).await.unwrap();
    drop(store);
    stop(server);
}

/// A flag change to attempt while the server is down.
fn simple_message_offline() -> (eider_model::FlagOp, Flags) {
    let mut flags = Flags::default();
    flags.keywords.insert("$Outage".into());
    (eider_model::FlagOp::Add, flags)
}
