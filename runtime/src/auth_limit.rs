//! Authentication-failure throttling shared by every login path (IMAP LOGIN and AUTHENTICATE,
//! POP3 USER/PASS and AUTH, API `POST /authenticate`), over [`crate::counters`], so that with
//! `[redis]` every process of every protocol adds to the same counts.
//!
//! Two keys per attempt: the user name (`auth:user:<name, lower case>`) and the client address
//! (`auth:ip:<address>`; IPv6 by its /64, since one host commonly holds a whole /64). Each
//! failure adds one to both, in a fixed window of `[auth] failure_window_secs` that starts at
//! the key's first failure (`[auth] max_failures_per_user`, `max_failures_per_ip`; 0: no limit).
//!
//! An attempt is counted **before** the password is looked at ([`AuthLimit::begin`]: one atomic
//! increment per key, then the comparison with the limit), so concurrent attempts cannot all
//! read "under the limit" and all be verified: at most `limit` passwords are checked per key and
//! window, however many arrive at once. An attempt over the limit is refused without checking
//! the password (even a right one) and its count is taken back, so the window ends on time and
//! the legitimate user gets in once it has. An attempt that succeeds (or fails for a reason
//! other than the credentials) is taken back with [`Attempt::release`]; one that fails is left
//! counted, which is how failures are recorded.
//!
//! When Redis fails, the counters fall back to this process's own counts (the rule in
//! `counters/mod.rs`): throttling then holds per process instead of across them, never off.
//!
//! Invariant: the outcome does not depend on whether the user exists, so throttling reveals
//! nothing about which names are valid.

use crate::config::AuthConfig;
use crate::counters::Counters;
use std::net::IpAddr;
use std::time::Duration;

/// The login was refused without checking the password: too many recent failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Throttled {
    /// At most this long until the window that caused the refusal ends.
    pub retry_after: Duration,
}

/// The throttle for one login attempt's configuration and counters; cheap to build per attempt.
#[derive(Clone, Debug)]
pub struct AuthLimit<'a> {
    counters: &'a Counters,
    per_user: u32,
    per_ip: u32,
    window: Duration,
}

impl<'a> AuthLimit<'a> {
    pub fn new(counters: &'a Counters, config: &AuthConfig) -> Self {
        Self {
            counters,
            per_user: config.max_failures_per_user,
            per_ip: config.max_failures_per_ip,
            window: Duration::from_secs(config.failure_window_secs.max(1)),
        }
    }

    /// Counts one attempt for `username` and `ip` in advance; `Err` (and nothing counted) when
    /// either is over its limit: refuse the login without verifying the password. Otherwise
    /// verify, then [`Attempt::release`] unless the credentials were wrong.
    pub async fn begin(
        &self,
        username: &str,
        ip: Option<IpAddr>,
    ) -> Result<Attempt<'a>, Throttled> {
        let mut counted = Vec::new();
        for (key, limit) in self.keys(username, ip) {
            if limit == 0 {
                continue;
            }
            let n = self.counters.auth_failed(&key, self.window).await;
            counted.push(key);
            if n > u64::from(limit) {
                let key = counted.last().cloned().unwrap_or_default();
                tracing::info!(key = %key, "login refused: too many authentication failures");
                release(self.counters, &counted).await;
                return Err(Throttled {
                    retry_after: self.window,
                });
            }
        }
        Ok(Attempt {
            counters: self.counters,
            counted,
        })
    }

    fn keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = vec![(user_key(username), self.per_user)];
        if let Some(ip) = ip {
            keys.push((ip_key(ip), self.per_ip));
        }
        keys
    }
}

/// A login attempt counted as a failure in advance by [`AuthLimit::begin`]. Dropping it leaves
/// the failure counted; [`Attempt::release`] takes it back.
#[derive(Debug)]
#[must_use = "release the attempt when the credentials were right"]
pub struct Attempt<'a> {
    counters: &'a Counters,
    counted: Vec<String>,
}

impl Attempt<'_> {
    /// The attempt did not fail on its credentials (a successful login, or a server error):
    /// it no longer counts as a failure.
    pub async fn release(self) {
        release(self.counters, &self.counted).await;
    }
}

async fn release(counters: &Counters, keys: &[String]) {
    for key in keys {
        counters.auth_release(key).await;
    }
}

/// `auth:user:<name>`: case-folded, as user names are matched without regard to case.
fn user_key(username: &str) -> String {
    format!("auth:user:{}", username.trim().to_lowercase())
}

/// `auth:ip:<address>`; IPv6 by its /64 prefix, IPv4-mapped IPv6 as IPv4.
fn ip_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => format!("auth:ip:{v4}"),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("auth:ip:{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(per_user: u32, per_ip: u32, window_secs: u64) -> AuthConfig {
        AuthConfig {
            max_failures_per_user: per_user,
            max_failures_per_ip: per_ip,
            failure_window_secs: window_secs,
            ..AuthConfig::default()
        }
    }

    #[test]
    fn keys_fold_case_and_group_ipv6_by_prefix() {
        let table = [
            ("Alice@Example.ORG ", "auth:user:alice@example.org"),
            ("bob", "auth:user:bob"),
        ];
        for (name, key) in table {
            assert_eq!(user_key(name), key);
        }
        let table = [
            ("192.0.2.7", "auth:ip:192.0.2.7"),
            ("::ffff:192.0.2.7", "auth:ip:192.0.2.7"),
            ("2001:db8:1:2:aaaa::1", "auth:ip:2001:db8:1:2::/64"),
            ("2001:db8:1:2:bbbb::9", "auth:ip:2001:db8:1:2::/64"),
            ("2001:db8:1:3::1", "auth:ip:2001:db8:1:3::/64"),
        ];
        for (ip, key) in table {
            assert_eq!(ip_key(ip.parse().unwrap()), key, "{ip}");
        }
    }

    /// An attempt that fails: counted, not released.
    async fn fail(limit: &AuthLimit<'_>, user: &str, ip: Option<IpAddr>) -> Result<(), Throttled> {
        limit.begin(user, ip).await.map(drop)
    }

    #[tokio::test]
    async fn limits_per_user_and_per_address_then_the_window_ends() {
        let counters = Counters::in_process();
        let cfg = config(3, 5, 1);
        let limit = AuthLimit::new(&counters, &cfg);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(fail(&limit, "alice", Some(a)).await, Ok(()));
        }
        // Over the user limit: from any address, in any case.
        assert!(fail(&limit, "alice", Some(b)).await.is_err());
        assert!(fail(&limit, "ALICE", None).await.is_err());
        // Refusals were not counted against `b`, nor successes.
        let ok = limit.begin("bob", Some(b)).await.unwrap();
        ok.release().await;
        assert_eq!(counters.auth_failures("auth:ip:10.0.0.2").await, 0);
        // Two more failures from `a` on other names reach its address limit (5).
        fail(&limit, "carol", Some(a)).await.unwrap();
        fail(&limit, "dave", Some(a)).await.unwrap();
        assert!(fail(&limit, "erin", Some(a)).await.is_err());
        assert_eq!(fail(&limit, "erin", Some(b)).await, Ok(()));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(fail(&limit, "alice", Some(a)).await, Ok(()), "window over");
    }

    #[tokio::test]
    async fn zero_disables_a_limit() {
        let counters = Counters::in_process();
        let cfg = config(0, 1, 60);
        let limit = AuthLimit::new(&counters, &cfg);
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..20 {
            fail(&limit, "alice", None).await.unwrap();
        }
        fail(&limit, "bob", Some(ip)).await.unwrap();
        assert!(fail(&limit, "carol", Some(ip)).await.is_err());
    }

    /// Issue #14: 100 concurrent wrong logins for one user were all verified because the count
    /// was read before and written after the check. Now at most the limit get through.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_attempts_never_pass_the_limit() {
        let counters = Counters::in_process();
        let cfg = config(10, 0, 60);
        let verified = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let (counters, cfg, verified) = (counters.clone(), cfg.clone(), verified.clone());
                tokio::spawn(async move {
                    let limit = AuthLimit::new(&counters, &cfg);
                    let Ok(attempt) = limit.begin("alice", None).await else {
                        return;
                    };
                    // The (wrong) password is checked while the others race.
                    verified.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    drop(attempt);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(verified.load(std::sync::atomic::Ordering::SeqCst), 10);
        assert_eq!(counters.auth_failures("auth:user:alice").await, 10);
    }
}
