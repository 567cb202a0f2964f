//! eider-pop3d's metrics (names and meanings: docs/api.md "Metrics"), recorded at the accept
//! loop (sessions), after each command line (count by name and result), at login (failures)
//! and after RETR/TOP (message bytes sent).
//!
//! Invariants: command names are the parser's fixed keywords or `invalid` (bounded label
//! values, never client text); a SASL response line belongs to its `AUTH` and is not counted
//! as a command of its own.

use eider_runtime::metrics::{Counter, CounterVec, Gauge, Registry};

/// Handles on the registry; cheap to clone.
#[derive(Clone, Debug)]
pub struct Pop3Metrics {
    pub sessions: Gauge,
    pub sessions_total: Counter,
    commands: CounterVec,
    pub auth_failures: Counter,
    pub retrieved_bytes: Counter,
}

impl Pop3Metrics {
    pub fn new(r: &Registry) -> Self {
        Self {
            sessions: r.gauge("eider_pop3_sessions", "POP3 connections open now."),
            sessions_total: r.counter("eider_pop3_sessions_total", "POP3 connections accepted."),
            commands: r.counter_vec(
                "eider_pop3_commands_total",
                "POP3 commands by keyword and result (OK for +OK or a SASL challenge, ERR).",
                &["command", "result"],
            ),
            auth_failures: r.counter(
                "eider_pop3_auth_failures_total",
                "Failed USER/PASS or AUTH attempts (wrong credentials).",
            ),
            retrieved_bytes: r.counter(
                "eider_pop3_retrieved_bytes_total",
                "Message bytes sent by RETR and TOP (before dot-stuffing).",
            ),
        }
    }

    /// One command; `first` is the first byte of its reply (`+` or `-`).
    pub fn command(&self, name: &str, first: Option<u8>) {
        let result = if first == Some(b'-') { "ERR" } else { "OK" };
        self.commands.with(&[name, result]).inc();
    }
}
