//! Redis-backed counters (see the parent module for the rules and key layout).
//!
//! Keys: `eider:conn:{key}` (sorted set of lease ids scored by expiry, Unix ms),
//! `eider:authfail:{key}` (integer with a TTL of the window), `eider:dl:{key}:{day}` (integer
//! expiring at the end of that UTC day). Lease acquisition is one Lua script, so the check and
//! the insert are atomic across processes.
//!
//! Redis Cluster: every script touches exactly one key (declared in `KEYS`, so the client routes
//! it to the node owning that key's slot), so no hash tags are needed; the one multi-key request,
//! the lease heartbeat's pipeline, is split into one pipeline per slot on a cluster.

use crate::redis_url::{Connection, TIMEOUT, Target};
use redis::cluster_routing::Slot;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Drops expired leases, then adds ours if fewer than the limit remain.
/// KEYS[1] set; ARGV: now ms, expiry ms, limit (0: none), lease id, key TTL ms.
const ACQUIRE: &str = r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local limit = tonumber(ARGV[3])
if limit > 0 and redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
";

/// KEYS[1] counter; ARGV[1] window ms. A fixed window from the first failure.
const FAIL: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
";

/// KEYS[1] counter. Takes back one failure counted in advance; never creates the key (a
/// `DECR` on an expired key would leave a negative count without expiry).
const RELEASE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) return 0 end
return n
";

/// KEYS[1] day's counter; ARGV: bytes, end of the day (Unix s). One script rather than a
/// `MULTI` pipeline: atomic on every kind of server, cluster included.
const DOWNLOAD: &str = r"
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
return n
";

/// Live leases of this process: id → set key. The heartbeat refreshes them.
type Live = Arc<Mutex<HashMap<String, String>>>;

/// The connection, created on first use and re-created after a failed connect (not more often
/// than once a second, so an outage costs callers no connect timeout on every call).
struct Conn {
    client: Target,
    slot: tokio::sync::Mutex<(Option<Connection>, Option<Instant>)>,
}

impl Conn {
    async fn get(&self) -> redis::RedisResult<Connection> {
        let mut slot = self.slot.lock().await;
        if let Some(c) = &slot.0 {
            return Ok(c.clone());
        }
        if slot.1.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return Err(std::io::Error::other("redis recently unreachable").into());
        }
        match crate::redis_url::connection(&self.client).await {
            Some(c) => {
                slot.0 = Some(c.clone());
                Ok(c)
            }
            None => {
                slot.1 = Some(Instant::now());
                Err(std::io::Error::other("redis unreachable").into())
            }
        }
    }

    /// After a failed command: with Sentinel, forget the connection so that the next call asks
    /// the sentinels for the master again (a failover moves it; the connection manager would
    /// keep retrying the old address); with Cluster, so that the next call rediscovers the
    /// cluster from the seed nodes (after the whole cluster was down). A direct connection's
    /// manager reconnects by itself.
    async fn failed(&self) {
        if matches!(self.client, Target::Sentinel(_) | Target::Cluster(_)) {
            self.slot.lock().await.0 = None;
        }
    }
}

pub(super) struct RedisCounters {
    conn: Arc<Conn>,
    live: Live,
    ttl: Duration,
    origin: u64,
    next: AtomicU64,
    stop: CancellationToken,
}

impl std::fmt::Debug for RedisCounters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCounters")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl Drop for RedisCounters {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl RedisCounters {
    pub(super) fn start(client: Target, ttl: Duration) -> Self {
        let conn = Arc::new(Conn {
            client,
            slot: tokio::sync::Mutex::new((None, None)),
        });
        let live: Live = Arc::default();
        let stop = CancellationToken::new();
        tokio::spawn(stop.clone().run_until_cancelled_owned(heartbeat(
            Arc::clone(&conn),
            Arc::clone(&live),
            ttl,
        )));
        Self {
            conn,
            live,
            ttl,
            origin: rand::random(),
            next: AtomicU64::new(0),
            stop,
        }
    }

    async fn run<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let mut c = self.conn.get().await?;
        let result = match tokio::time::timeout(TIMEOUT, cmd.query_async(&mut c)).await {
            Ok(r) => r,
            Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
        };
        if result.is_err() {
            self.conn.failed().await;
        }
        result
    }

    pub(super) async fn acquire(
        &self,
        key: &str,
        limit: u32,
    ) -> redis::RedisResult<Option<RedisLease>> {
        let set = format!("eider:conn:{key}");
        let id = format!(
            "{:016x}:{}",
            self.origin,
            self.next.fetch_add(1, Ordering::Relaxed)
        );
        let now = now_ms();
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(ACQUIRE)
            .arg(1)
            .arg(&set)
            .arg(now)
            .arg(now + ms(self.ttl))
            .arg(limit)
            .arg(&id)
            .arg(ms(self.ttl) * 2);
        let got: i64 = self.run(&cmd).await?;
        if got == 0 {
            return Ok(None);
        }
        if let Ok(mut live) = self.live.lock() {
            live.insert(id.clone(), set.clone());
        }
        Ok(Some(RedisLease {
            conn: Arc::clone(&self.conn),
            live: Arc::clone(&self.live),
            set,
            id,
        }))
    }

    pub(super) async fn auth_failed(&self, key: &str, window: Duration) -> redis::RedisResult<u64> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(FAIL)
            .arg(1)
            .arg(format!("eider:authfail:{key}"))
            .arg(ms(window).max(1));
        self.run(&cmd).await
    }

    pub(super) async fn auth_release(&self, key: &str) -> redis::RedisResult<u64> {
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(RELEASE).arg(1).arg(format!("eider:authfail:{key}"));
        self.run(&cmd).await
    }

    pub(super) async fn auth_failures(&self, key: &str) -> redis::RedisResult<u64> {
        let n: Option<u64> = self
            .run(redis::cmd("GET").arg(format!("eider:authfail:{key}")))
            .await?;
        Ok(n.unwrap_or(0))
    }

    pub(super) async fn add_download(&self, key: &str, bytes: u64) -> redis::RedisResult<u64> {
        let (day, end) = super::utc_day(chrono::Utc::now());
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(DOWNLOAD)
            .arg(1)
            .arg(format!("eider:dl:{key}:{day}"))
            .arg(bytes)
            .arg(end);
        self.run(&cmd).await
    }
}

/// Every `ttl / 3`, pushes the expiry of this process's live leases forward.
async fn heartbeat(conn: Arc<Conn>, live: Live, ttl: Duration) {
    let mut interval = tokio::time::interval(ttl / 3);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let leases: Vec<(String, String)> = match live.lock() {
            Ok(l) => l.iter().map(|(i, s)| (i.clone(), s.clone())).collect(),
            Err(_) => continue,
        };
        if leases.is_empty() {
            continue;
        }
        let Ok(mut c) = conn.get().await else {
            continue;
        };
        let expiry = now_ms() + ms(ttl);
        // A cluster refuses a pipeline whose keys are in different slots: one per slot there.
        let mut pipes: HashMap<Option<Slot>, redis::Pipeline> = HashMap::new();
        for (id, set) in &leases {
            let group = c.is_cluster().then(|| Slot::for_key(set));
            let pipe = pipes.entry(group).or_default();
            // XX: a lease released meanwhile is not brought back.
            pipe.cmd("ZADD")
                .arg(set)
                .arg("XX")
                .arg(expiry)
                .arg(id)
                .ignore();
            pipe.cmd("PEXPIRE").arg(set).arg(ms(ttl) * 2).ignore();
        }
        for pipe in pipes.values() {
            let done: redis::RedisResult<()> =
                match tokio::time::timeout(TIMEOUT, pipe.query_async(&mut c)).await {
                    Ok(r) => r,
                    Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
                };
            if let Err(e) = done {
                tracing::warn!("counters: lease heartbeat failed: {e}");
                conn.failed().await;
                break;
            }
        }
    }
}

/// A lease recorded in Redis; removed from the set on drop (best effort: if that fails, it
/// expires after the TTL since the heartbeat no longer refreshes it).
pub(super) struct RedisLease {
    conn: Arc<Conn>,
    live: Live,
    set: String,
    id: String,
}

impl std::fmt::Debug for RedisLease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisLease").field("id", &self.id).finish()
    }
}

impl Drop for RedisLease {
    fn drop(&mut self) {
        if let Ok(mut live) = self.live.lock() {
            live.remove(&self.id);
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let conn = Arc::clone(&self.conn);
        let (set, id) = (std::mem::take(&mut self.set), std::mem::take(&mut self.id));
        rt.spawn(async move {
            if let Ok(mut c) = conn.get().await {
                let removed: redis::RedisResult<i64> = redis::cmd("ZREM")
                    .arg(&set)
                    .arg(&id)
                    .query_async(&mut c)
                    .await;
                if let Err(e) = removed {
                    tracing::debug!("counters: releasing lease {id}: {e} (it will expire)");
                }
            }
        });
    }
}
