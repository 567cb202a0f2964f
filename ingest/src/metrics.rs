//! eider-ingest's metrics (names and meanings: docs/api.md "Metrics"), recorded at three places:
//! the accept loop (sessions), the end of a message's data (transactions, bytes, latency,
//! per-recipient outcomes) and RCPT (recipients refused).
//!
//! Invariant: a delivery outcome is counted once per recipient reply after DATA/BDAT LAST, by its
//! reply code: 2xx `delivered`, 4xx `temp_failed`, 5xx `rejected`.

use eider_runtime::metrics::{Counter, CounterVec, Gauge, Histogram, Registry};

/// Handles on the registry; cheap to clone.
#[derive(Clone, Debug)]
pub struct IngestMetrics {
    pub sessions: Gauge,
    pub sessions_total: Counter,
    pub transactions: Counter,
    deliveries: CounterVec,
    recipients_refused: CounterVec,
    pub bytes_received: Counter,
    pub delivery_seconds: Histogram,
    errors: CounterVec,
}

impl IngestMetrics {
    pub fn new(r: &Registry) -> Self {
        let deliveries = r.counter_vec(
            "eider_lmtp_deliveries_total",
            "Per-recipient delivery results after the message data, by outcome.",
            &["outcome"],
        );
        let recipients_refused = r.counter_vec(
            "eider_lmtp_recipients_refused_total",
            "RCPT TO commands refused, by class (temporary 4xx, permanent 5xx).",
            &["class"],
        );
        let errors = r.counter_vec(
            "eider_lmtp_errors_total",
            "Server-side failures: ingest (parsing or storing the content) or store (an append).",
            &["kind"],
        );
        // Shown as 0 from the start, so rates and alerts work before the first event.
        for outcome in ["delivered", "temp_failed", "rejected"] {
            deliveries.with(&[outcome]);
        }
        for class in ["temporary", "permanent"] {
            recipients_refused.with(&[class]);
        }
        for kind in ["ingest", "store"] {
            errors.with(&[kind]);
        }
        Self {
            sessions: r.gauge("eider_lmtp_sessions", "LMTP connections open now."),
            sessions_total: r.counter("eider_lmtp_sessions_total", "LMTP connections accepted."),
            transactions: r.counter(
                "eider_lmtp_transactions_total",
                "Messages whose data was received completely (DATA or BDAT LAST).",
            ),
            deliveries,
            recipients_refused,
            bytes_received: r.counter(
                "eider_lmtp_received_bytes_total",
                "Message bytes received (after dot-unstuffing), once per transaction.",
            ),
            delivery_seconds: r.histogram(
                "eider_lmtp_delivery_duration_seconds",
                "From the end of a message's data to the replies for all its recipients.",
            ),
            errors,
        }
    }

    /// One recipient's reply after the data.
    pub fn delivery(&self, code: u16) {
        let outcome = match code {
            200..=299 => "delivered",
            400..=499 => "temp_failed",
            _ => "rejected",
        };
        self.deliveries.with(&[outcome]).inc();
    }

    /// A refused RCPT TO.
    pub fn recipient_refused(&self, code: u16) {
        let class = if code < 500 { "temporary" } else { "permanent" };
        self.recipients_refused.with(&[class]).inc();
    }

    pub fn error(&self, kind: &'static str) {
        self.errors.with(&[kind]).inc();
    }
}
