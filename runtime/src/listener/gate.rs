//! Admission: the global and per-client-address connection counts, and the listener's metrics.
//!
//! Invariants: a count is taken only by a successful `admit_*` and given back exactly once, when
//! its [`Slot`] is dropped (whatever way the connection ends); a per-address entry exists only
//! while its count is above zero, so the table holds one entry per connected client, no more.

use super::addr::ClientKey;
use crate::metrics::{Counter, CounterVec, Gauge, Registry};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Why a connection was not served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `max_connections` were open.
    Global,
    /// `max_connections_per_address` were open from this client.
    PerAddress,
}

impl Refusal {
    fn label(self) -> &'static str {
        match self {
            Refusal::Global => "global",
            Refusal::PerAddress => "per_address",
        }
    }
}

/// The listener's counters in the process registry, labelled by listener name (`imap`, ...).
#[derive(Clone, Debug)]
pub struct ListenerMetrics {
    pub accepted: Counter,
    refused: CounterVec,
    pub pre_login_timeouts: Counter,
    pub proxy_errors: Counter,
    pub open: Gauge,
    name: &'static str,
}

impl ListenerMetrics {
    pub fn new(r: &Registry, name: &'static str) -> Self {
        let labelled = |family: CounterVec| family.with(&[name]);
        let refused = r.counter_vec(
            "eider_listener_refused_total",
            "Connections refused by a listener, by reason: global (max_connections) or \
             per_address (max_connections_per_address).",
            &["listener", "reason"],
        );
        for reason in [Refusal::Global, Refusal::PerAddress] {
            refused.with(&[name, reason.label()]);
        }
        Self {
            accepted: labelled(r.counter_vec(
                "eider_listener_accepted_total",
                "Connections accepted by a listener (served or refused).",
                &["listener"],
            )),
            refused,
            pre_login_timeouts: labelled(r.counter_vec(
                "eider_listener_pre_login_timeouts_total",
                "Connections closed at the pre-login deadline.",
                &["listener"],
            )),
            proxy_errors: labelled(r.counter_vec(
                "eider_listener_proxy_errors_total",
                "Connections from a trusted proxy closed for a missing or malformed PROXY header.",
                &["listener"],
            )),
            open: r
                .gauge_vec(
                    "eider_listener_connections",
                    "Connections open now (served, not refused).",
                    &["listener"],
                )
                .with(&[name]),
            name,
        }
    }

    pub fn refused(&self, why: Refusal) {
        self.refused.with(&[self.name, why.label()]).inc();
    }

    pub fn refused_count(&self, why: Refusal) -> u64 {
        self.refused.with(&[self.name, why.label()]).get()
    }
}

/// The counts of one listener (or of several that share limits, like `[imap]` and `[imaps]`).
#[derive(Debug)]
pub struct Gate {
    max_connections: usize,
    max_per_address: Option<usize>,
    counts: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_address: HashMap<ClientKey, usize>,
}

/// One admitted connection's share of the counts; given back on drop.
#[derive(Debug)]
pub struct Slot {
    gate: Arc<Gate>,
    key: Option<ClientKey>,
}

impl Gate {
    pub fn new(max_connections: usize, max_per_address: Option<usize>) -> Arc<Self> {
        Arc::new(Gate {
            max_connections: max_connections.max(1),
            max_per_address,
            counts: Mutex::new(Counts::default()),
        })
    }

    fn counts(&self) -> MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked (each update is one statement).
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a global slot for a new socket.
    pub fn admit(self: &Arc<Self>) -> Result<Slot, Refusal> {
        let mut c = self.counts();
        if c.total >= self.max_connections {
            return Err(Refusal::Global);
        }
        c.total += 1;
        Ok(Slot {
            gate: Arc::clone(self),
            key: None,
        })
    }

    /// Counts `slot`'s connection against its client address (known only after a PROXY
    /// header was read).
    pub fn admit_address(&self, slot: &mut Slot, ip: IpAddr) -> Result<(), Refusal> {
        let key = ClientKey::of(ip);
        let mut c = self.counts();
        let n = c.per_address.entry(key).or_insert(0);
        if self.max_per_address.is_some_and(|max| *n >= max) {
            if *n == 0 {
                c.per_address.remove(&key);
            }
            return Err(Refusal::PerAddress);
        }
        *n += 1;
        slot.key = Some(key);
        Ok(())
    }

    /// Connections open now (for tests and logs).
    pub fn open(&self) -> usize {
        self.counts().total
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.gate.counts();
        c.total = c.total.saturating_sub(1);
        if let Some(key) = self.key
            && let Some(n) = c.per_address.get_mut(&key)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_address.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn counts_are_given_back_on_drop() {
        let gate = Gate::new(3, Some(2));
        let mut a = gate.admit().unwrap();
        let mut b = gate.admit().unwrap();
        let mut c = gate.admit().unwrap();
        assert_eq!(gate.admit().unwrap_err(), Refusal::Global);
        gate.admit_address(&mut a, ip("192.0.2.1")).unwrap();
        gate.admit_address(&mut b, ip("192.0.2.1")).unwrap();
        assert_eq!(
            gate.admit_address(&mut c, ip("::ffff:192.0.2.1")),
            Err(Refusal::PerAddress)
        );
        gate.admit_address(&mut c, ip("192.0.2.2")).unwrap();
        drop(a);
        let mut d = gate.admit().unwrap();
        gate.admit_address(&mut d, ip("192.0.2.1")).unwrap();
        drop((b, c, d));
        assert_eq!(gate.open(), 0);
        assert!(gate.counts().per_address.is_empty());
    }

    #[test]
    fn no_per_address_limit_when_unset() {
        let gate = Gate::new(100, None);
        let slots: Vec<Slot> = (0..50)
            .map(|_| {
                let mut s = gate.admit().unwrap();
                gate.admit_address(&mut s, ip("2001:db8::1")).unwrap();
                s
            })
            .collect();
        assert_eq!(gate.open(), 50);
        drop(slots);
        assert!(gate.counts().per_address.is_empty());
    }
}
