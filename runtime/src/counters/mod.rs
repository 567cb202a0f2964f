//! Counters shared by all daemon processes: concurrent-connection leases, authentication-failure
//! windows and daily download bytes.
//!
//! [`Counters::in_process`] keeps them in this process's memory (`eider serve`, tests);
//! [`Counters::redis`] (chosen by [`Counters::from_config`] when `[redis] url` is set) keeps them
//! in Redis so every imapd/pop3d process sees the same numbers.
//!
//! Keys are the caller's: a user name for leases and downloads, e.g. `user` or `ip:1.2.3.4` for
//! authentication failures. A `limit` of 0 means unlimited.
//!
//! Rule when Redis fails (an error or a 2 s timeout): **fall back to this process's own count**,
//! with one warning per outage (and an info log when Redis answers again). The limits are then
//! enforced per process instead of per cluster: neither fully open (an outage does not disable
//! brute-force protection or connection caps) nor closed (an outage of the notification layer
//! does not lock every user out of their mail, which the store alone could still serve). The
//! download total undercounts during an outage by what other processes served; that is accepted
//! because the daily limit is a fairness limit, not a security boundary.
//!
//! Leases: each live lease is one member of a per-key sorted set scored by its expiry; a
//! heartbeat task refreshes this process's leases every `ttl / 3`, so the leases of a crashed
//! process expire within `[redis] lease_ttl_secs`. Dropping a [`Lease`] releases it at once.

mod memory;
mod redis;

use crate::config::Config;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use memory::Memory;

#[derive(Debug, thiserror::Error)]
pub enum CountersError {
    #[error("[redis] url: {0}")]
    Config(String),
}

/// A handle to this process's counters; cheap to clone.
#[derive(Clone, Debug)]
pub struct Counters {
    local: Memory,
    redis: Option<Arc<redis::RedisCounters>>,
    /// Set while Redis calls fail, so the fallback is logged once per outage, not per call.
    degraded: Arc<AtomicBool>,
}

impl Counters {
    /// Counters in this process's memory only. Needs no runtime.
    pub fn in_process() -> Self {
        Self {
            local: Memory::default(),
            redis: None,
            degraded: Arc::default(),
        }
    }

    /// Redis when `[redis] url` is set, else in-process. Must be called inside a tokio runtime
    /// when Redis is configured (it spawns the lease heartbeat); does not wait for Redis.
    pub fn from_config(config: &Config) -> Result<Self, CountersError> {
        if config.redis.url.is_empty() {
            return Ok(Self::in_process());
        }
        let ttl = Duration::from_secs(config.redis.lease_ttl_secs.max(3));
        Self::redis(&config.redis.url, ttl)
    }

    /// Counters in the Redis at `url`; leases of a crashed process expire after `lease_ttl`.
    pub fn redis(url: &str, lease_ttl: Duration) -> Result<Self, CountersError> {
        let client = crate::redis_url::client(url).map_err(CountersError::Config)?;
        Ok(Self {
            local: Memory::default(),
            redis: Some(Arc::new(redis::RedisCounters::start(client, lease_ttl))),
            degraded: Arc::default(),
        })
    }

    /// Takes one of at most `limit` concurrent leases on `key` (0: unlimited); `None` when all
    /// are taken. The lease is released when the returned value is dropped.
    pub async fn acquire(&self, key: &str, limit: u32) -> Option<Lease> {
        if let Some(r) = &self.redis {
            match r.acquire(key, limit).await {
                Ok(Some(lease)) => return Some(Lease(LeaseKind::Redis(self.ok(lease)))),
                Ok(None) => return self.ok(None),
                Err(e) => self.failed(&e),
            }
        }
        self.local
            .acquire(key, limit)
            .map(|l| Lease(LeaseKind::Local(l)))
    }

    /// Records one authentication failure for `key` and returns the failures in the current
    /// `window` (a fixed window starting at the first failure), this one included.
    pub async fn auth_failed(&self, key: &str, window: Duration) -> u64 {
        if let Some(r) = &self.redis {
            match r.auth_failed(key, window).await {
                Ok(n) => return self.ok(n),
                Err(e) => self.failed(&e),
            }
        }
        self.local.auth_failed(key, window)
    }

    /// Takes back one failure recorded by [`Self::auth_failed`] (an attempt counted in advance
    /// that did not fail); returns the failures left. Never starts a window.
    pub async fn auth_release(&self, key: &str) -> u64 {
        if let Some(r) = &self.redis {
            match r.auth_release(key).await {
                Ok(n) => return self.ok(n),
                Err(e) => self.failed(&e),
            }
        }
        self.local.auth_release(key)
    }

    /// Failures recorded for `key` in its current window (0 when none or expired).
    pub async fn auth_failures(&self, key: &str) -> u64 {
        if let Some(r) = &self.redis {
            match r.auth_failures(key).await {
                Ok(n) => return self.ok(n),
                Err(e) => self.failed(&e),
            }
        }
        self.local.auth_failures(key)
    }

    /// Adds `bytes` to `key`'s downloads of the current UTC day; returns the day's total.
    pub async fn add_download(&self, key: &str, bytes: u64) -> u64 {
        if let Some(r) = &self.redis {
            match r.add_download(key, bytes).await {
                Ok(n) => return self.ok(n),
                Err(e) => self.failed(&e),
            }
        }
        self.local.add_download(key, bytes)
    }

    /// Passes `value` through, logging the end of an outage.
    fn ok<T>(&self, value: T) -> T {
        if self.degraded.swap(false, Ordering::Relaxed) {
            tracing::info!("counters: redis reachable again, counting across processes");
        }
        value
    }

    fn failed(&self, e: &::redis::RedisError) {
        if !self.degraded.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "counters: redis failed ({e}); counting in this process until it is back"
            );
        }
    }

    /// `key`'s downloads of the current UTC day.
    pub async fn downloaded_today(&self, key: &str) -> u64 {
        self.add_download(key, 0).await
    }
}

/// A held connection slot; released on drop.
#[derive(Debug)]
pub struct Lease(LeaseKind);

/// The variants' payloads are only held for their `Drop` (which releases the slot).
#[derive(Debug)]
#[expect(dead_code, reason = "payloads are held for their Drop")]
enum LeaseKind {
    Local(memory::LocalLease),
    Redis(redis::RedisLease),
}

impl Lease {
    /// Whether this lease is counted across processes (false: fell back to the local count).
    pub fn is_shared(&self) -> bool {
        matches!(self.0, LeaseKind::Redis(_))
    }
}

/// The current UTC day number and the Unix time (seconds) at which it ends.
fn utc_day(now: chrono::DateTime<chrono::Utc>) -> (i64, i64) {
    let day = now.timestamp().div_euclid(86_400);
    (day, (day + 1) * 86_400)
}

#[cfg(test)]
mod tests;
