//! eider-imapd: the IMAP4rev1 server (RFC 3501 and the extensions listed in
//! `session::capability`).
//!
//! `proto` and `session` are the sans-I/O protocol core; `mailbox`, `fetch` and `search` the
//! selected-mailbox view, body sections and the search engine; [`server`] accepts connections,
//! [`conn`] drives one, and `handlers` run each command against the store.
//!
//! Where a command lives: its parser in `proto/command/<name>.rs` (tests in
//! `proto/command/tests/<name>.rs`), its kind in `proto/command/kind.rs`, the states it is
//! allowed in in `session/state.rs`, its handler in `handlers/<name>.rs`; store errors become
//! IMAP answers only in `session/error.rs`.

// Tests may unwrap (house style); production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod conn;
pub mod fetch;
pub mod handlers;
pub mod mailbox;
pub mod metrics;
pub mod proto;
pub mod search;
pub mod server;
pub mod session;

pub use server::{Listeners, Options, run, run_listeners, run_with};
