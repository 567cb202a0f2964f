//! Turns `[redis] url` into a [`Target`], refusing the forms we do not support with a message
//! that says so (see `docs/scaling.md`, section "Redis").
//!
//! Supported: `redis://[user:password@]host[:port][/db]`, `redis+unix:///path`, and Sentinel:
//! `redis+sentinel://[user:password@]host1:port1[,host2:port2...]/SERVICE[/db]` (the sentinels'
//! addresses and the monitored master's name; the credentials and db are the master's). Not
//! supported: `rediss://` (TLS) and Redis Cluster; they are refused rather than half-working.
//!
//! Invariant: callers ask [`Target::client`] again every time they (re)connect, so that after a
//! Sentinel failover the next connection goes to the new master.

use redis::IntoConnectionInfo;
use redis::aio::ConnectionManager;
use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use std::sync::Arc;
use std::time::Duration;

/// Longest wait between reconnection attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long connecting or a command may take before the caller treats Redis as down.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where Redis is: one server, or whichever server the sentinels currently name as master.
#[derive(Clone)]
pub enum Target {
    Direct(redis::Client),
    Sentinel(Arc<tokio::sync::Mutex<SentinelClient>>),
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Direct(_) => f.write_str("Target::Direct"),
            Target::Sentinel(_) => f.write_str("Target::Sentinel"),
        }
    }
}

impl Target {
    /// A client for the server to use now (for Sentinel: asks the sentinels for the master and
    /// checks that it answers as master). Does not keep a connection open.
    pub async fn client(&self) -> redis::RedisResult<redis::Client> {
        match self {
            Target::Direct(client) => Ok(client.clone()),
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
        "rediss" => return Err("rediss:// (TLS) is not supported yet; use redis://".into()),
        _ => {
            return Err(format!(
                "unsupported URL {url:?}; expected redis://host:port"
            ));
        }
    }
    if url.contains(',') {
        return Err(
            "several URLs (Redis Cluster) are not supported yet; give one redis:// URL, or \
             redis+sentinel://host1:port1,host2:port2/SERVICE for Sentinel"
                .into(),
        );
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
            ("http://127.0.0.1", false),
        ];
        for (url, ok) in table {
            assert_eq!(client(url).is_ok(), ok, "{url}");
        }
    }
}
