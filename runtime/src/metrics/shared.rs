//! [`Metrics`]: this process's registry plus, when `[redis] url` is set, the snapshots of every
//! other Eider process, so that one `GET /metrics` shows them all.
//!
//! Each process started through `daemon::start` publishes its snapshot every
//! `[metrics] publish_interval_secs` as JSON under `eider:{metrics}:<daemon>:<instance>` (instance
//! = `host:pid`) with a TTL of three intervals, and records the key in the sorted set
//! `eider:{metrics}:index` scored by that expiry (Unix ms), so a reader finds the live snapshots
//! without `SCAN`ning the keyspace. The `{metrics}` hash tag puts every key in one slot, so on a
//! Redis Cluster each pipeline (and the `MGET`) goes to one node through the routed connection. A process that stops cleanly deletes its key; a crashed one's
//! key expires and drops out of the index at the next read.
//!
//! Reading ([`Metrics::collect`]) always gives this process's live registry first; the other
//! processes' snapshots are up to one interval old. When Redis fails, the local registry is
//! still returned and `eider_metrics_collect_errors_total` counts the failure: an outage hides
//! other processes' metrics, it never fails the scrape.

use super::{Counter, Registry, Snapshot, Source, render};
use crate::config::Config;
use crate::context::Shutdown;
use crate::redis_url::{TIMEOUT, Target};
use eider_store::mailstore::MailStore;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const INDEX: &str = "eider:{metrics}:index";
const PREFIX: &str = "eider:{metrics}:";

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("[redis] url: {0}")]
    Config(String),
}

/// What one process publishes.
#[derive(Debug, Serialize, Deserialize)]
struct Published {
    daemon: String,
    instance: String,
    snapshot: Snapshot,
}

/// A handle on this process's metrics; cheap to clone (clones share the registry).
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// The `daemon` label of this process's samples: the program name, set by [`Metrics::publish`].
    daemon: Arc<Mutex<String>>,
    instance: Arc<str>,
    redis: Option<Arc<RedisMetrics>>,
    collect_errors: Counter,
}

impl Metrics {
    /// Metrics of this process only (`eider serve`, tests). Needs no runtime.
    pub fn in_process() -> Self {
        Self::with(None, default_instance())
    }

    /// Publishes to and reads from Redis when `[redis] url` is set, else [`Metrics::in_process`].
    pub fn from_config(config: &Config) -> Result<Self, MetricsError> {
        if config.redis.url.is_empty() {
            return Ok(Self::in_process());
        }
        let interval = Duration::from_secs(config.metrics.publish_interval_secs);
        Self::redis(&config.redis.url, interval, default_instance())
    }

    /// Shared through the Redis at `url`, publishing every `interval` (zero: never publish,
    /// only read) under `instance` (tests give two "processes" in one binary their own).
    pub fn redis(url: &str, interval: Duration, instance: String) -> Result<Self, MetricsError> {
        let target = crate::redis_url::client(url).map_err(MetricsError::Config)?;
        let redis = RedisMetrics {
            target,
            conn: tokio::sync::Mutex::new(None),
            interval,
        };
        Ok(Self::with(Some(Arc::new(redis)), instance))
    }

    fn with(redis: Option<Arc<RedisMetrics>>, instance: String) -> Self {
        let registry = Arc::new(Registry::default());
        let collect_errors = registry.counter(
            "eider_metrics_collect_errors_total",
            "Failed reads of other processes' metrics from Redis by this process.",
        );
        Self {
            registry,
            daemon: Arc::new(Mutex::new("eider".into())),
            instance: instance.into(),
            redis,
            collect_errors,
        }
    }

    /// Exposes `store`'s own statistics (`StoreStats`) as counters of this process.
    pub fn watch_store(&self, store: &Arc<dyn MailStore>) {
        let weak = Arc::downgrade(store);
        self.registry.counter_fn(
            "eider_store_content_read_bytes_total",
            "Message content bytes read from storage (inline segments and compressed chunks).",
            move || weak.upgrade().map_or(0, |s| s.stats().content_bytes_read()),
        );
        let weak = Arc::downgrade(store);
        self.registry.counter_fn(
            "eider_store_commits_total",
            "Committed store write transactions.",
            move || {
                weak.upgrade().map_or(0, |s| {
                    s.stats().commits.load(std::sync::atomic::Ordering::Relaxed)
                })
            },
        );
    }

    /// The registry the daemons of this process record into.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// This process's `daemon` label.
    pub fn daemon(&self) -> String {
        self.daemon.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// This process's `instance` label (`host:pid`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Names this process `daemon` and, with Redis, publishes its snapshot periodically until
    /// `shutdown` (then deletes it). Call once, inside a tokio runtime.
    pub fn publish(&self, daemon: &str, shutdown: &Shutdown) {
        if let Ok(mut d) = self.daemon.lock() {
            daemon.clone_into(&mut d);
        }
        let Some(redis) = self.redis.clone() else {
            return;
        };
        if redis.interval.is_zero() {
            return;
        }
        let key = format!("{PREFIX}{daemon}:{}", self.instance);
        let (registry, shutdown) = (Arc::clone(&self.registry), shutdown.clone());
        let (daemon, instance) = (daemon.to_owned(), self.instance.to_string());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(redis.interval);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = shutdown.cancelled() => break,
                }
                let published = Published {
                    daemon: daemon.clone(),
                    instance: instance.clone(),
                    snapshot: registry.snapshot(),
                };
                if let Err(e) = redis.put(&key, &published).await {
                    tracing::debug!("metrics: publishing to redis failed: {e}");
                }
            }
            redis.remove(&key).await;
        });
    }

    /// This process's snapshot first, then every other live process's (with Redis).
    pub async fn collect(&self) -> Vec<(String, String, Snapshot)> {
        let (daemon, instance) = (self.daemon(), self.instance.to_string());
        let mut all = vec![(daemon.clone(), instance.clone(), self.registry.snapshot())];
        let Some(redis) = &self.redis else {
            return all;
        };
        match redis.all().await {
            Ok(others) => all.extend(
                others
                    .into_iter()
                    .filter(|p| !(p.daemon == daemon && p.instance == instance))
                    .map(|p| (p.daemon, p.instance, p.snapshot)),
            ),
            Err(e) => {
                self.collect_errors.inc();
                tracing::warn!("metrics: reading other processes' metrics from redis: {e}");
            }
        }
        all
    }

    /// [`Metrics::collect`] in the Prometheus text format, each sample labelled with
    /// `daemon` and `instance`.
    pub async fn render(&self) -> String {
        let all = self.collect().await;
        let sources: Vec<Source<'_>> = all
            .iter()
            .map(|(daemon, instance, snapshot)| Source {
                labels: vec![("daemon", daemon.as_str()), ("instance", instance.as_str())],
                snapshot,
            })
            .collect();
        render(&sources)
    }
}

/// `host:pid`: unique per live process on a network of hosts with distinct names.
fn default_instance() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}:{}", std::process::id())
}

struct RedisMetrics {
    target: Target,
    conn: tokio::sync::Mutex<Option<crate::redis_url::Connection>>,
    interval: Duration,
}

impl std::fmt::Debug for RedisMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisMetrics")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl RedisMetrics {
    /// Runs `pipe`; a failure forgets the connection so the next call reconnects (and, with
    /// Sentinel, asks for the current master).
    async fn query<T: redis::FromRedisValue>(
        &self,
        pipe: &redis::Pipeline,
    ) -> redis::RedisResult<T> {
        let mut slot = self.conn.lock().await;
        if slot.is_none() {
            *slot = crate::redis_url::connection(&self.target).await;
        }
        let Some(conn) = slot.as_mut() else {
            return Err(std::io::Error::other("redis unreachable").into());
        };
        let result = match tokio::time::timeout(TIMEOUT, pipe.query_async(conn)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
        };
        if result.is_err() {
            *slot = None;
        }
        result
    }

    async fn put(&self, key: &str, published: &Published) -> redis::RedisResult<()> {
        let json = serde_json::to_string(published).map_err(std::io::Error::other)?;
        // Three intervals: one missed publication does not make a live process vanish.
        let ttl = i64::try_from(self.interval.as_millis().saturating_mul(3)).unwrap_or(i64::MAX);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(key)
            .arg(json)
            .arg("PX")
            .arg(ttl)
            .ignore();
        pipe.cmd("ZADD")
            .arg(INDEX)
            .arg(now_ms() + ttl)
            .arg(key)
            .ignore();
        self.query(&pipe).await
    }

    async fn remove(&self, key: &str) {
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(key).ignore();
        pipe.cmd("ZREM").arg(INDEX).arg(key).ignore();
        if let Err(e) = self.query::<()>(&pipe).await {
            tracing::debug!("metrics: removing the snapshot from redis failed: {e}");
        }
    }

    /// Every live snapshot; expired entries are dropped from the index on the way.
    async fn all(&self) -> redis::RedisResult<Vec<Published>> {
        let now = now_ms();
        let mut pipe = redis::pipe();
        pipe.cmd("ZREMRANGEBYSCORE")
            .arg(INDEX)
            .arg("-inf")
            .arg(now)
            .ignore();
        pipe.cmd("ZRANGE").arg(INDEX).arg(0).arg(-1);
        let (keys,): (Vec<String>,) = self.query(&pipe).await?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        pipe.cmd("MGET").arg(&keys);
        let (values,): (Vec<Option<String>>,) = self.query(&pipe).await?;
        Ok(values
            .into_iter()
            .flatten()
            .filter_map(|json| match serde_json::from_str::<Published>(&json) {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!("metrics: unreadable snapshot in redis: {e}");
                    None
                }
            })
            .collect())
    }
}
