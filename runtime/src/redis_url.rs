//! Turns `[redis] url` into a [`Target`], refusing the forms we do not support with a message
//! that says so (see `docs/scaling.md`, section "Redis").
//!
//! Supported: `redis://[user:password@]host[:port][/db]`, `redis+unix:///path`, and Sentinel:
//! `redis+sentinel://[user:password@]host1:port1[,host2:port2...]/SERVICE[/db]` (the sentinels'
//! addresses and the monitored master's name; the credentials and db are the master's), and
//! Cluster: `redis+cluster://[user:password@]host1:port1[,host2:port2...]` (seed nodes; the rest
//! of the cluster is discovered from them). Not supported: `rediss://` (TLS); refused rather than
//! half-working.
//!
//! Invariants: callers ask [`Target::client`] again every time they (re)connect, so that after a
//! Sentinel failover the next connection goes to the new master, and, for Cluster, so that the
//! next plain connection (the bus's pub/sub) goes to the next seed node. Commands that carry keys
//! (the counters) go through [`connection`], which for Cluster routes each command to the node
//! owning its key's slot; every such command or pipeline touches keys of one slot only.

use redis::IntoConnectionInfo;
use redis::aio::ConnectionManager;
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Longest wait between reconnection attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long connecting or a command may take before the caller treats Redis as down.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where Redis is: one server, whichever server the sentinels currently name as master, or a
/// cluster.
#[derive(Clone)]
pub enum Target {
    Direct(redis::Client),
    Sentinel(Arc<tokio::sync::Mutex<SentinelClient>>),
    Cluster(Arc<Cluster>),
}

/// A Redis Cluster: the routing client (counters) and the seed nodes, taken in turn for plain
/// connections (the bus: `PUBLISH` on any node reaches subscribers on every node).
pub struct Cluster {
    routed: ClusterClient,
    seeds: Vec<redis::Client>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Direct(_) => f.write_str("Target::Direct"),
            Target::Sentinel(_) => f.write_str("Target::Sentinel"),
            Target::Cluster(c) => write!(f, "Target::Cluster({} seeds)", c.seeds.len()),
        }
    }
}

impl Target {
    /// A client for the server to use now (for Sentinel: asks the sentinels for the master and
    /// checks that it answers as master; for Cluster: the next seed node, in turn, so that a
    /// reconnection after a node failed tries another one). Does not keep a connection open.
    pub async fn client(&self) -> redis::RedisResult<redis::Client> {
        match self {
            Target::Direct(client) => Ok(client.clone()),
            Target::Cluster(cluster) => {
                let i = cluster.next.fetch_add(1, Ordering::Relaxed) % cluster.seeds.len();
                Ok(cluster.seeds[i].clone())
            }
            Target::Sentinel(sentinel) => {
                // Boxed: the driver's lookup future is deep, and inlining its layout into every
                // caller's (an IMAP session's) overflows rustc's query depth limit.
                let lookup: std::pin::Pin<
                    Box<dyn Future<Output = redis::RedisResult<redis::Client>> + Send + '_>,
                > = Box::pin(async move { sentinel.lock().await.async_get_client().await });
                match tokio::time::timeout(TIMEOUT, lookup).await {
                    Ok(r) => r,
                    Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
                }
            }
        }
    }
}

/// A target for `url` (does not connect).
pub fn client(url: &str) -> Result<Target, String> {
    let url = url.trim();
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "redis" | "redis+unix" | "unix" => {}
        "redis+sentinel" | "redis-sentinel" => return sentinel(url),
        "redis+cluster" | "redis-cluster" => return cluster(url),
        "rediss" => return Err("rediss:// (TLS) is not supported yet; use redis://".into()),
        _ => {
            return Err(format!(
                "unsupported URL {url:?}; expected redis://host:port"
            ));
        }
    }
    if url.contains(',') {
        return Err("several hosts need a scheme saying what they are: \
             redis+cluster://host1:port1,host2:port2 for Redis Cluster, \
             redis+sentinel://host1:port1,host2:port2/SERVICE for Sentinel"
            .into());
    }
    redis::Client::open(url)
        .map(Target::Direct)
        .map_err(|e| format!("{url:?}: {e}"))
}

/// `redis+sentinel://[user:pw@]h1:p1[,h2:p2...]/SERVICE[/db]`; sentinels default to port 26379.
fn sentinel(url: &str) -> Result<Target, String> {
    let bad = |why: &str| {
        format!("{url:?}: {why}; expected redis+sentinel://host:port[,host:port...]/SERVICE[/db]")
    };
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let (authority, path) = rest.split_once('/').ok_or_else(|| bad("no service name"))?;
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let mut path = path.trim_end_matches('/').split('/');
    let service = path
        .next()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no service name"))?;
    let db = path.next().unwrap_or("0");
    if path.next().is_some() {
        return Err(bad("too many path segments"));
    }
    let mut sentinels = Vec::new();
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let host = if host.contains(':') && !host.ends_with(']') {
            host.to_owned()
        } else {
            format!("{host}:26379")
        };
        let info = format!("redis://{host}")
            .into_connection_info()
            .map_err(|e| bad(&e.to_string()))?;
        sentinels.push(info);
    }
    if sentinels.is_empty() {
        return Err(bad("no sentinel address"));
    }
    // The master's credentials and database, parsed the way a redis:// URL's are.
    let master = match userinfo {
        Some(u) => format!("redis://{u}@127.0.0.1/{db}"),
        None => format!("redis://127.0.0.1/{db}"),
    }
    .into_connection_info()
    .map_err(|e| bad(&e.to_string()))?;
    let node = SentinelNodeConnectionInfo::default()
        .set_redis_connection_info(master.redis_settings().clone());
    let client = SentinelClient::build(
        sentinels,
        service.to_owned(),
        Some(node),
        SentinelServerType::Master,
    )
    .map_err(|e| bad(&e.to_string()))?;
    Ok(Target::Sentinel(Arc::new(tokio::sync::Mutex::new(client))))
}

/// `redis+cluster://[user:pw@]h1:p1[,h2:p2...]`: seed nodes (port 6379 when left out), all
/// with the same credentials; no database (a cluster has only db 0).
fn cluster(url: &str) -> Result<Target, String> {
    let bad =
        |why: &str| format!("{url:?}: {why}; expected redis+cluster://host:port[,host:port...]");
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or_default();
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains('/') {
        return Err(bad("a cluster has no database number or path"));
    }
    let (userinfo, hosts) = match rest.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let mut nodes = Vec::new();
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let host = if host.contains(':') && !host.ends_with(']') {
            host.to_owned()
        } else {
            format!("{host}:6379")
        };
        let node = match userinfo {
            Some(u) => format!("redis://{u}@{host}"),
            None => format!("redis://{host}"),
        }
        .into_connection_info()
        .map_err(|e| bad(&e.to_string()))?;
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(bad("no node address"));
    }
    let seeds = nodes
        .iter()
        .map(|n| redis::Client::open(n.clone()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(&e.to_string()))?;
    let routed = ClusterClient::builder(nodes)
        .connection_timeout(TIMEOUT)
        .response_timeout(TIMEOUT)
        .retries(2)
        .build()
        .map_err(|e| bad(&e.to_string()))?;
    Ok(Target::Cluster(Arc::new(Cluster {
        routed,
        seeds,
        // Start at a random seed so that processes spread their subscriptions over the nodes.
        next: AtomicUsize::new(rand::random::<u16>().into()),
    })))
}

/// A connection for keyed commands: one server's connection manager, or a cluster connection
/// that routes each command (or single-slot pipeline) to the node owning the slot and follows
/// `MOVED`/`ASK` redirections and failovers by itself.
#[derive(Clone)]
pub(crate) enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl redis::aio::ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        cmd: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Connection::Single(c) => c.req_packed_command(cmd),
            Connection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Connection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Connection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Single(c) => c.get_db(),
            Connection::Cluster(c) => c.get_db(),
        }
    }
}

impl Connection {
    /// Whether keys of different slots must go in different pipelines.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Connection::Cluster(_))
    }
}

/// A [`Connection`] for keyed commands, or `None` (logged) when Redis is unreachable.
pub(crate) async fn connection(target: &Target) -> Option<Connection> {
    let Target::Cluster(cluster) = target else {
        return manager(target).await.map(Connection::Single);
    };
    match tokio::time::timeout(TIMEOUT, cluster.routed.get_async_connection()).await {
        Ok(Ok(c)) => Some(Connection::Cluster(c)),
        Ok(Err(e)) => {
            tracing::debug!("redis cluster unreachable: {e}");
            None
        }
        Err(_) => {
            tracing::debug!("redis cluster unreachable: timed out");
            None
        }
    }
}

/// A connection manager with short timeouts, or `None` (logged) when Redis is unreachable.
pub(crate) async fn manager(target: &Target) -> Option<ConnectionManager> {
    let client = match target.client().await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("redis: no server to connect to: {e}");
            return None;
        }
    };
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_connection_timeout(Some(TIMEOUT))
        .set_response_timeout(Some(TIMEOUT))
        .set_number_of_retries(1)
        .set_max_delay(MAX_BACKOFF);
    match client.get_connection_manager_with_config(config).await {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::debug!("redis unreachable: {e}");
            None
        }
    }
}

/// Whether the Redis of `url` (any accepted form: the master for Sentinel, a node of the
/// cluster for Cluster) answers `PING` within [`TIMEOUT`] each for connecting and answering.
/// For health checks: a fresh connection each call, nothing cached.
pub async fn ping(url: &str) -> bool {
    let Ok(target) = client(url) else {
        return false;
    };
    let Some(mut conn) = connection(&target).await else {
        return false;
    };
    let pong =
        tokio::time::timeout(TIMEOUT, redis::cmd("PING").query_async::<String>(&mut conn)).await;
    matches!(pong, Ok(Ok(ref p)) if p == "PONG")
}

#[cfg(test)]
mod tests {
    use super::client;

    #[test]
    fn accepted_and_refused_forms() {
        let table = [
            ("redis://127.0.0.1:6379", true),
            ("redis://:secret@127.0.0.1:6379/2", true),
            ("redis+unix:///run/redis.sock", true),
            ("rediss://127.0.0.1:6380", false),
            ("redis+sentinel://127.0.0.1:26379/mymaster", true),
            (
                "redis+sentinel://:pw@10.0.0.1:26379,10.0.0.2/mymaster/2",
                true,
            ),
            ("redis+sentinel://127.0.0.1:26379", false),
            ("redis+sentinel://127.0.0.1:26379/", false),
            ("redis+sentinel:///mymaster", false),
            ("redis://a:6379,b:6379", false),
            ("redis+cluster://127.0.0.1:7000,127.0.0.1:7001", true),
            ("redis+cluster://:pw@10.0.0.1:7000,10.0.0.2", true),
            ("redis+cluster://127.0.0.1:7000/", true),
            ("redis+cluster://127.0.0.1:7000/2", false),
            ("redis+cluster://", false),
            ("http://127.0.0.1", false),
        ];
        for (url, ok) in table {
            assert_eq!(client(url).is_ok(), ok, "{url}");
        }
    }
}
