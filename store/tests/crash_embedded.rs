//! Crash consistency of the embedded backend under `kill -9`.
//!
//! The parent test re-runs this test binary as a child (`crash_child`, selected with `--exact`
//! and `--ignored`, data directory in `EIDER_CRASH_DIR`) that delivers messages (blob upload via
//! `BlobWriter`, then append) and adds keywords to earlier messages in a loop, printing a line
//! after every acknowledged write. The parent kills it with SIGKILL at a random moment, several
//! rounds on the same directory, and after each round reopens the store and requires:
//! `check_consistency` passes, every acknowledged append is present (with its bytes intact),
//! every acknowledged keyword is set, no UID was handed out twice across crashes, and a sweep past
//! the grace cutoff leaves no unreferenced blob behind.

// Test code: unwrapping is how it fails.
#![allow(clippy::unwrap_used)]

use eider_model::types::{MailboxId, Uid};
use eider_model::{FlagOp, Flags};
use eider_store::content::{BlobWriter, read_range};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::mailstore::MailStore;
use eider_store_testkit::conformance::{bytes, check_consistency, flags, make_user, message, now};
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DIR_VAR: &str = "EIDER_CRASH_DIR";
const ROUNDS: usize = 6;

fn open(dir: &Path) -> EmbeddedStore {
    EmbeddedStore::open(dir, EmbeddedOptions::default()).expect("open embedded store")
}

/// Body bytes of the message appended in iteration `i` of the child: sizes vary across the
/// 64 KiB chunk boundary so some uploads span several chunks.
fn body(i: u64) -> Vec<u8> {
    bytes(i, 100 + (i as usize).wrapping_mul(7919) % 200_000)
}

/// Writer tasks running at once in the child (their commits share group-commit batches).
const WRITERS: u64 = 4;

/// The writer process. Ignored in normal runs: only the crash test starts it.
#[test]
#[ignore = "child process of crash_kill9_keeps_acknowledged_writes"]
fn crash_child() {
    let Some(dir) = std::env::var_os(DIR_VAR) else {
        println!("crash_child only runs under crash_kill9_keeps_acknowledged_writes");
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async move {
        let store: Arc<dyn MailStore> = Arc::new(open(Path::new(&dir)));
        let s = store.as_ref();
        let user = match s.find_user("crash").await.unwrap() {
            Some(u) => u,
            None => make_user(s, "crash", 0).await,
        };
        let inbox = s.find_mailbox(user.id, "INBOX").await.unwrap().unwrap();
        // Distinct seeds per round (UIDNEXT grows every round) and per task.
        let base = u64::from(inbox.uid_next.0) << 24;
        let mut tasks = Vec::new();
        for task in 0..WRITERS {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                deliver_loop(store.as_ref(), inbox.id, base | (task << 20)).await
            }));
        }
        let archive = s
            .find_mailbox(user.id, "Archive")
            .await
            .unwrap()
            .unwrap()
            .id;
        let trash = s.find_mailbox(user.id, "Trash").await.unwrap().unwrap().id;
        // Copy INBOX → Archive, move Archive → Trash, expunge Trash: reference churn that must
        // never leave counters or refcounts off, whatever moment the kill hits.
        loop {
            let listed = s
                .list_messages(inbox.id, Uid(1)..=Uid(u32::MAX))
                .await
                .unwrap();
            let pick: Vec<Uid> = listed.iter().rev().take(3).map(|m| m.uid).collect();
            s.copy_messages(inbox.id, &pick, archive).await.unwrap();
            let arch: Vec<Uid> = s
                .list_messages(archive, Uid(1)..=Uid(u32::MAX))
                .await
                .unwrap()
                .iter()
                .map(|m| m.uid)
                .collect();
            s.move_messages(archive, &arch[..arch.len() / 2], trash)
                .await
                .unwrap();
            s.expunge(trash, None, false).await.unwrap();
            tokio::task::yield_now().await;
        }
    });
}

/// Delivers messages (BlobWriter upload, append) and tags earlier ones, printing each ack.
async fn deliver_loop(s: &dyn MailStore, inbox: MailboxId, mut i: u64) {
    loop {
        i += 1;
        let data = body(i);
        let mut w = BlobWriter::begin(s).await.unwrap();
        for piece in data.chunks(30_000) {
            w.write(s, piece).await.unwrap();
        }
        let (blob, len) = w.finish(s).await.unwrap();
        let msg = message(b"", &[(blob, len)], Flags::default(), &format!("c{i}"));
        let ap = s.append(inbox, msg).await.unwrap();
        // One line per write() call on a line-buffered, locked stdout: lines never interleave.
        println!("ACK {} {i}", ap.uid.0);
        if i.is_multiple_of(2) && ap.uid.0 > 1 {
            let target = Uid(1 + (i as u32).wrapping_mul(31) % (ap.uid.0 - 1));
            let kw = format!("k{i}");
            s.set_flags(inbox, &[target], FlagOp::Add, &flags(0, &[&kw]), None)
                .await
                .unwrap();
            println!("FLAG {} {kw}", target.0);
        }
    }
}

#[derive(Default)]
struct Acked {
    /// UID → seed of its body.
    appends: BTreeMap<u32, u64>,
    keywords: BTreeMap<u32, BTreeSet<String>>,
}

/// Runs one child until SIGKILL; returns the lines it printed.
fn run_child(dir: &Path, rng: &mut impl Rng) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            "--exact",
            "crash_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_VAR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    // Wait for the first acknowledgement, then let it run a random while longer.
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lines.iter().any(|l: &String| l.starts_with("ACK ")) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => lines.push(l),
            Err(e) => panic!("child never acknowledged an append ({e:?}); got {lines:?}"),
        }
    }
    std::thread::sleep(Duration::from_millis(rng.gen_range(20..600)));
    child.kill().expect("SIGKILL"); // std's kill() sends SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "child exited on its own: {status:?}");
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_kill9_keeps_acknowledged_writes() {
    let dir = tempfile::tempdir().unwrap();
    let seed: u64 = std::env::var("EIDER_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(now() as u64);
    println!("crash test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut acked = Acked::default();
    for round in 0..ROUNDS {
        let lines = tokio::task::block_in_place(|| run_child(dir.path(), &mut rng));
        let mut new = 0;
        for line in &lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["ACK", uid, i] => {
                    let uid: u32 = uid.parse().unwrap();
                    let prev = acked.appends.insert(uid, i.parse().unwrap());
                    assert!(
                        prev.is_none(),
                        "round {round}: UID {uid} acknowledged twice (reused after a crash)"
                    );
                    new += 1;
                }
                ["FLAG", uid, kw] => {
                    acked
                        .keywords
                        .entry(uid.parse().unwrap())
                        .or_default()
                        .insert(kw.to_string());
                }
                _ => {}
            }
        }
        println!("round {round}: {new} appends acknowledged before SIGKILL");
        let store = tokio::task::block_in_place(|| open(dir.path()));
        verify(&store, &acked, round).await;
    }
}

async fn verify(store: &EmbeddedStore, acked: &Acked, round: usize) {
    let s: &dyn MailStore = store;
    if let Err(e) = check_consistency(s).await {
        panic!("round {round}: inconsistent after kill -9:\n{e}");
    }
    let user = s.find_user("crash").await.unwrap().expect("user survives");
    let inbox = s.find_mailbox(user.id, "INBOX").await.unwrap().unwrap();
    let stored: BTreeMap<u32, _> = s
        .get_messages(inbox.id, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.summary.uid.0, m))
        .collect();
    for (uid, seed) in &acked.appends {
        let m = stored
            .get(uid)
            .unwrap_or_else(|| panic!("round {round}: acknowledged UID {uid} lost"));
        assert_eq!(
            m.meta.subject.as_deref(),
            Some(format!("c{seed}").as_str()),
            "round {round}: UID {uid}"
        );
        let want = body(*seed);
        let got = read_range(s, &m.segments, 0, m.summary.size).await.unwrap();
        assert!(got == want, "round {round}: UID {uid} content differs");
    }
    for (uid, kws) in &acked.keywords {
        let have = &stored[uid].summary.flags.keywords;
        let missing: Vec<_> = kws.difference(have).collect();
        assert!(
            missing.is_empty(),
            "round {round}: UID {uid} lost acknowledged keywords {missing:?}"
        );
    }
    let stats = s.sweep(now() + 3600, 0).await.unwrap();
    println!(
        "round {round}: sweep after reopen removed {} blobs, {} uploads",
        stats.blobs, stats.uploads
    );
    let orphans = s
        .list_blobs(None, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|b| b.refs == 0)
        .count();
    assert_eq!(
        orphans, 0,
        "round {round}: unreferenced blobs after sweep ({stats:?})"
    );
    check_consistency(s).await.unwrap();
}
