//! `redis+sentinel://` URLs against a real Sentinel: a master, a replica and one sentinel
//! (`redis-server CONF --sentinel`), all private on random ports. The bus and the counters
//! connect through the sentinel to the master; after the master is killed and the sentinel
//! promotes the replica, both reconnect to the new master by themselves.

use eider_runtime::bus::{Bus, BusMessage};
use eider_runtime::counters::Counters;
use eider_tests::harness::World;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// A `redis-server` with extra arguments; killed on drop.
struct Proc(Option<Child>);

impl Proc {
    fn start(port: u16, args: &[&str], log: &Path) -> Self {
        let log = std::fs::File::create(log).expect("log");
        let child = Command::new("redis-server")
            .args(args)
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("redis-server");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis on {port} did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Proc(Some(child))
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One inline command's first reply line.
fn cmd(port: u16, command: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.write_all(format!("{command}\r\n").as_bytes());
    let mut line = String::new();
    let _ = BufReader::new(s).read_line(&mut line);
    line.trim_end().to_owned()
}

async fn until(what: &str, within: Duration, mut ok: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !ok().await {
        assert!(started.elapsed() < within, "{what} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sentinel_urls_follow_a_failover() {
    if !eider_tests::require("redis-server", eider_tests::have_command("redis-server")) {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let (m, r, s) = (free_port(), free_port(), free_port());
    let mut master = Proc::start(m, &[], &dir.path().join("master.log"));
    let replica_of = format!("127.0.0.1 {m}");
    let _replica = Proc::start(
        r,
        &["--replicaof", &replica_of],
        &dir.path().join("replica.log"),
    );
    // Sentinel rewrites its config file: it must be writable.
    let conf = dir.path().join("sentinel.conf");
    std::fs::write(
        &conf,
        format!(
            "sentinel monitor eidermaster 127.0.0.1 {m} 1\n\
             sentinel down-after-milliseconds eidermaster 1000\n\
             sentinel failover-timeout eidermaster 5000\n"
        ),
    )
    .expect("conf");
    let conf = conf.display().to_string();
    let _sentinel = Proc::start(s, &[&conf, "--sentinel"], &dir.path().join("sentinel.log"));
    // The replica is in sync (the sentinel lists it) before we rely on failover.
    until("replica in sync", Duration::from_secs(20), async || {
        cmd_role(r) == "slave" && cmd(s, "SENTINEL REPLICAS eidermaster").starts_with("*1")
    })
    .await;

    let url = format!("redis+sentinel://127.0.0.1:{s}/eidermaster");
    let ttl = Duration::from_secs(3);
    let counters = Counters::redis(&url, ttl).expect("counters");
    let lease = counters.acquire("sentinel-user", 0).await.expect("lease");
    assert!(lease.is_shared(), "counted in Redis through the sentinel");
    assert_eq!(
        cmd(m, "ZCARD eider:conn:sentinel-user"),
        ":1",
        "on the master"
    );

    let (w1, w2) = (
        World::new(|_| {}).expect("w1"),
        World::new(|_| {}).expect("w2"),
    );
    let poll = Duration::from_millis(200);
    let a = Bus::redis(&url, w1.store.clone(), poll).expect("bus a");
    let b = Bus::redis(&url, w2.store.clone(), poll).expect("bus b");
    until("buses connected", Duration::from_secs(10), async || {
        a.is_connected() && b.is_connected()
    })
    .await;

    // Failover: the master dies; the sentinel promotes the replica.
    master.kill();
    let promoted = until("replica promoted", Duration::from_secs(30), async || {
        cmd_role(r) == "master"
    })
    .await;
    eprintln!("sentinel promoted the replica after {promoted:?}");

    // Counters reach the new master by themselves (the first calls after the failover may
    // fall back to local counts).
    let shared = until(
        "counters on the new master",
        Duration::from_secs(15),
        async || {
            counters.acquire("sentinel-user", 0).await.is_some_and(|l| {
                let shared = l.is_shared();
                std::mem::forget(l);
                shared
            })
        },
    )
    .await;
    eprintln!("counters shared again {shared:?} after the promotion");
    assert_ne!(cmd(r, "ZCARD eider:conn:sentinel-user"), ":0");

    // The buses resubscribe on the new master, and events flow between them.
    until("buses reconnected", Duration::from_secs(15), async || {
        a.is_connected() && b.is_connected()
    })
    .await;
    let mut rx_b = b.subscribe();
    let user = w1.user("sentinel", "pw", &[]).await.expect("user").id;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        match tokio::time::timeout_at(deadline, rx_b.recv()).await {
            Ok(Some(BusMessage::Changed(ev))) if ev.user == user => break,
            Ok(Some(_)) => {}
            other => panic!("no event through the new master: {other:?}"),
        }
    }
}

/// The role a server reports (`master`, `slave`, ...), from `ROLE`'s first element.
fn cmd_role(port: u16) -> String {
    use std::io::{BufRead, BufReader, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = s.write_all(b"ROLE\r\n");
    let mut rd = BufReader::new(s);
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut line = String::new();
        if rd.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        lines.push(line.trim_end().to_owned());
    }
    lines.get(2).cloned().unwrap_or_default()
}
