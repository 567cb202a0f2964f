//! Black-box test of the standalone daemon binaries (`eider-imapd -c FILE`, ...): each loads the
//! config, opens the store, binds its listener (LMTP also on a Unix socket) and then either runs
//! until SIGTERM (exit 0) or stops with its own error as one line (exit 1, today "not
//! implemented yet").
//!
//! The binaries belong to other packages: the test builds them with `cargo build -p` and finds
//! them next to `eider` in the target directory.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod bins;
mod support;

use bins::build;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::Site;

fn check_daemon(site: &Site, bin: &str, env: &[(&str, String)], listening: &str) {
    let path = build(bin);
    let why = format!("{bin} binary next to {}", env!("CARGO_BIN_EXE_eider"));
    if !eider_tests::require(&why, path.is_file()) {
        return;
    }
    let mut cmd = Command::new(&path);
    for (key, _) in std::env::vars() {
        if key.starts_with("EIDER_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .arg("-c")
        .arg(&site.config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RUST_LOG", "info")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    // Running daemons are stopped with SIGTERM once they had time to start.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    if child.try_wait().unwrap().is_none() {
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
    }
    let status = child.wait().unwrap().code();
    let log = reader.join().unwrap().join("\n");
    assert!(log.contains("store open at"), "{bin}:\n{log}");
    assert!(
        log.contains(&format!("{bin} listening on {listening}")),
        "{bin}:\n{log}"
    );
    match status {
        Some(0) => {}
        Some(1) => {
            let last = log.lines().last().unwrap_or("");
            assert!(
                last.starts_with(&format!("{bin}: ")),
                "one-line error expected:\n{log}"
            );
            assert!(!log.contains("Stack backtrace"), "{bin}:\n{log}");
        }
        other => panic!("{bin} exited with {other:?}:\n{log}"),
    }
}

#[test]
fn daemons_start_from_the_config_file() {
    let site = Site::new();
    for bin in ["eider-imapd", "eider-pop3d", "eider-api", "eider-ingest"] {
        check_daemon(&site, bin, &[], "127.0.0.1:");
    }
    let sock = site.dir.path().join("lmtp.sock");
    let spec = format!("unix:{}", sock.display());
    // LMTP on a Unix socket: bound (and today refused by the TCP-only daemon with a clear error).
    check_daemon(
        &site,
        "eider-ingest",
        &[("EIDER_LMTP_LISTEN", spec.clone())],
        &spec,
    );
}
