//! eider-ingest: the LMTP delivery daemon (RFC 2033).
//!
//! `lmtp` is the sans-I/O protocol core; `connection` drives it over a socket and streams message
//! data into the shared ingest path (`eider_store::ingest`); `deliver` personalises and files
//! the message per recipient; `server` owns the accept loops; `metrics` names what is counted.

pub mod connection;
pub mod deliver;
pub mod input;
pub mod lmtp;
pub mod metrics;
pub mod server;

pub use server::{run, run_listener, run_unix};
