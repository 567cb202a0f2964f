//! eider-imapd's metrics (names and meanings: docs/api.md "Metrics"), recorded at the accept
//! loop (connections), the end of each command (count by name and result, latency), the login
//! attempt (failures), IDLE (sessions in it) and the wire (bytes).
//!
//! Invariants: command names are the parser's fixed verbs (bounded label values, never client
//! text); IDLE is counted as a command but kept out of the latency histogram, whose purpose is
//! server response time, not how long a client chose to idle.

use crate::proto::response::Status;
use eider_runtime::metrics::{Counter, CounterVec, Gauge, HistogramVec, Registry};
use std::time::Duration;

/// Handles on the registry; cheap to clone.
#[derive(Clone, Debug)]
pub struct ImapMetrics {
    pub connections: Gauge,
    pub connections_total: Counter,
    pub refused: Counter,
    commands: CounterVec,
    command_seconds: HistogramVec,
    pub auth_failures: Counter,
    pub idle: Gauge,
    pub bytes_received: Counter,
    pub bytes_sent: Counter,
}

impl ImapMetrics {
    pub fn new(r: &Registry) -> Self {
        Self {
            connections: r.gauge("eider_imap_connections", "IMAP connections open now."),
            connections_total: r.counter(
                "eider_imap_connections_total",
                "IMAP connections accepted (and served).",
            ),
            refused: r.counter(
                "eider_imap_connections_refused_total",
                "IMAP connections refused because [imap] max_connections were open.",
            ),
            commands: r.counter_vec(
                "eider_imap_commands_total",
                "IMAP commands by name and tagged result (OK, NO, BAD; none when untagged).",
                &["command", "result"],
            ),
            command_seconds: r.histogram_vec(
                "eider_imap_command_duration_seconds",
                "Time from a command's arrival to its tagged response (IDLE excluded).",
                &["command"],
            ),
            auth_failures: r.counter(
                "eider_imap_auth_failures_total",
                "Failed LOGIN/AUTHENTICATE attempts (wrong credentials).",
            ),
            idle: r.gauge("eider_imap_idle_sessions", "IMAP sessions in IDLE now."),
            bytes_received: r.counter(
                "eider_imap_received_bytes_total",
                "Bytes read from IMAP clients (after TLS and COMPRESS are undone).",
            ),
            bytes_sent: r.counter(
                "eider_imap_sent_bytes_total",
                "Bytes written to IMAP clients (before COMPRESS and TLS).",
            ),
        }
    }

    /// One finished command; `name` is the parser's verb, `"invalid"` for unparsable input.
    pub fn command(&self, name: &str, status: Option<Status>, elapsed: Option<Duration>) {
        let result = match status {
            Some(Status::Ok) => "OK",
            Some(Status::No) => "NO",
            Some(Status::Bad) => "BAD",
            _ => "none",
        };
        self.commands.with(&[name, result]).inc();
        if let Some(d) = elapsed.filter(|_| name != "IDLE") {
            self.command_seconds.with(&[name]).observe(d);
        }
    }
}
