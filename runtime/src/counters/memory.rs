//! In-process counters: the whole state of [`super::Counters::in_process`], and the fallback of
//! the Redis counters while Redis is unreachable.
//!
//! Invariant: a key's lease count equals the number of live [`LocalLease`]s for it; entries at
//! zero are removed so the maps hold only active keys (plus failure/download entries until their
//! window or day is over; stale ones are pruned when touched).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

#[derive(Default, Debug)]
struct State {
    leases: HashMap<String, u32>,
    failures: HashMap<String, (Instant, Duration, u64)>,
    downloads: HashMap<String, (i64, u64)>,
}

/// Shared in-memory counters; clones share state.
#[derive(Clone, Default, Debug)]
pub struct Memory {
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves plain counters, still consistent enough to use.
    state.lock().unwrap_or_else(|p| p.into_inner())
}

impl Memory {
    pub(super) fn acquire(&self, key: &str, limit: u32) -> Option<LocalLease> {
        let mut s = lock(&self.state);
        let n = s.leases.entry(key.to_owned()).or_insert(0);
        if limit != 0 && *n >= limit {
            return None;
        }
        *n += 1;
        Some(LocalLease {
            state: Arc::clone(&self.state),
            key: key.to_owned(),
        })
    }

    pub(super) fn auth_failed(&self, key: &str, window: Duration) -> u64 {
        let now = Instant::now();
        let mut s = lock(&self.state);
        let entry = s.failures.entry(key.to_owned()).or_insert((now, window, 0));
        if now.duration_since(entry.0) >= entry.1 {
            *entry = (now, window, 0);
        }
        entry.2 += 1;
        entry.2
    }

    pub(super) fn auth_release(&self, key: &str) -> u64 {
        let mut s = lock(&self.state);
        let Some(entry) = s.failures.get_mut(key) else {
            return 0;
        };
        entry.2 = entry.2.saturating_sub(1);
        let n = entry.2;
        if n == 0 {
            s.failures.remove(key);
        }
        n
    }

    pub(super) fn auth_failures(&self, key: &str) -> u64 {
        let mut s = lock(&self.state);
        match s.failures.get(key) {
            Some((start, window, n)) if start.elapsed() < *window => *n,
            Some(_) => {
                s.failures.remove(key);
                0
            }
            None => 0,
        }
    }

    pub(super) fn add_download(&self, key: &str, bytes: u64) -> u64 {
        let (day, _) = super::utc_day(chrono::Utc::now());
        let mut s = lock(&self.state);
        let entry = s.downloads.entry(key.to_owned()).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        entry.1 = entry.1.saturating_add(bytes);
        entry.1
    }

    /// Live leases on `key` (for tests and diagnostics).
    pub fn leases(&self, key: &str) -> u32 {
        lock(&self.state).leases.get(key).copied().unwrap_or(0)
    }
}

/// One counted lease in a [`Memory`].
#[derive(Debug)]
pub(super) struct LocalLease {
    state: Arc<Mutex<State>>,
    key: String,
}

impl Drop for LocalLease {
    fn drop(&mut self) {
        let mut s = lock(&self.state);
        if let Some(n) = s.leases.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                s.leases.remove(&self.key);
            }
        }
    }
}
