//! Turns `[redis] url` into a client, refusing the forms we do not support yet with a message
//! that says so (see `docs/scaling.md`, section "Redis").
//!
//! Supported: `redis://[user:password@]host[:port][/db]` and `redis+unix:///path`. Not yet:
//! `rediss://` (TLS), `redis+sentinel://` and Redis Cluster; they are refused rather than
//! half-working.

use redis::aio::ConnectionManager;
use std::time::Duration;

/// Longest wait between reconnection attempts.
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// How long connecting or a command may take before the caller treats Redis as down.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// A client for `url` (does not connect).
pub fn client(url: &str) -> Result<redis::Client, String> {
    let url = url.trim();
    let scheme = url.split("://").next().unwrap_or_default();
    match scheme {
        "redis" | "redis+unix" | "unix" => {}
        "rediss" => return Err("rediss:// (TLS) is not supported yet; use redis://".into()),
        "redis+sentinel" | "redis-sentinel" => {
            return Err("Redis Sentinel URLs are not supported yet; use redis://".into());
        }
        _ => {
            return Err(format!(
                "unsupported URL {url:?}; expected redis://host:port"
            ));
        }
    }
    if url.contains(',') {
        return Err(
            "several URLs (Redis Cluster) are not supported yet; give one redis:// URL".into(),
        );
    }
    redis::Client::open(url).map_err(|e| format!("{url:?}: {e}"))
}

/// A connection manager with short timeouts, or `None` (logged) when Redis is unreachable.
pub(crate) async fn manager(client: &redis::Client) -> Option<ConnectionManager> {
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
            ("redis+sentinel://127.0.0.1:26379/mymaster", false),
            ("redis://a:6379,b:6379", false),
            ("http://127.0.0.1", false),
        ];
        for (url, ok) in table {
            assert_eq!(client(url).is_ok(), ok, "{url}");
        }
    }
}
