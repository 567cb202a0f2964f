//! Python `imaplib` against a fresh server: every command family a desktop client uses, with
//! byte-exact APPEND/FETCH round trips (see `scripts/imaplib_full.py` for the steps).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn imaplib_full_session() {
    if !common::have_python() {
        return;
    }
    let w = common::World::start().await;
    let out = w.python(include_str!("scripts/imaplib_full.py")).await;
    assert!(out.contains("all imaplib checks passed"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn raw_socket_idle_sees_imaplib_changes() {
    if !common::have_python() {
        return;
    }
    let w = common::World::start().await;
    let out = w.python(include_str!("scripts/imaplib_idle.py")).await;
    assert!(out.contains("idle checks passed"), "{out}");
}
