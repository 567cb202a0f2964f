//! Authentication-failure throttling shared by every login path (IMAP LOGIN and AUTHENTICATE,
//! POP3 USER/PASS and AUTH, API `POST /authenticate`), over [`crate::counters`], so that with
//! `[redis]` every process of every protocol adds to the same counts.
//!
//! Two keys per attempt: the user name (`auth:user:<name, lower case>`) and the client address
//! (`auth:ip:<address>`; IPv6 by its /64, since one host commonly holds a whole /64). Each
//! failure adds one to both, in a fixed window of `[auth] failure_window_secs` that starts at
//! the key's first failure. While either key has reached its limit (`[auth]
//! max_failures_per_user`, `max_failures_per_ip`; 0: no limit), [`AuthLimit::check`] refuses the
//! attempt **before** the password is looked at, so guessing stops even when a guess would be
//! right. Refused attempts are not counted: the window ends on time and the legitimate user
//! gets in once it has.
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

    /// `Err` when `username` or `ip` has reached its limit in the current window: refuse the
    /// login without verifying the password.
    pub async fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), Throttled> {
        for (key, limit) in self.keys(username, ip) {
            if limit > 0 && self.counters.auth_failures(&key).await >= u64::from(limit) {
                tracing::info!(key = %key, "login refused: too many authentication failures");
                return Err(Throttled {
                    retry_after: self.window,
                });
            }
        }
        Ok(())
    }

    /// Records a failed login (unknown user, wrong password, disabled account) for both keys.
    pub async fn failed(&self, username: &str, ip: Option<IpAddr>) {
        for (key, limit) in self.keys(username, ip) {
            if limit > 0 {
                self.counters.auth_failed(&key, self.window).await;
            }
        }
    }

    fn keys(&self, username: &str, ip: Option<IpAddr>) -> Vec<(String, u32)> {
        let mut keys = vec![(user_key(username), self.per_user)];
        if let Some(ip) = ip {
            keys.push((ip_key(ip), self.per_ip));
        }
        keys
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

    #[tokio::test]
    async fn limits_per_user_and_per_address_then_the_window_ends() {
        let counters = Counters::in_process();
        let cfg = config(3, 5, 1);
        let limit = AuthLimit::new(&counters, &cfg);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert_eq!(limit.check("alice", Some(a)).await, Ok(()));
            limit.failed("alice", Some(a)).await;
        }
        // Over the user limit: from any address, in any case.
        assert!(limit.check("alice", Some(b)).await.is_err());
        assert!(limit.check("ALICE", None).await.is_err());
        assert_eq!(limit.check("bob", Some(b)).await, Ok(()));
        // Two more failures from `a` on other names reach its address limit (5).
        limit.failed("carol", Some(a)).await;
        limit.failed("dave", Some(a)).await;
        assert!(limit.check("erin", Some(a)).await.is_err());
        assert_eq!(limit.check("erin", Some(b)).await, Ok(()));
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(limit.check("alice", Some(a)).await, Ok(()), "window over");
    }

    #[tokio::test]
    async fn zero_disables_a_limit() {
        let counters = Counters::in_process();
        let cfg = config(0, 1, 60);
        let limit = AuthLimit::new(&counters, &cfg);
        for _ in 0..20 {
            limit.failed("alice", None).await;
        }
        assert_eq!(limit.check("alice", None).await, Ok(()));
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        limit.failed("bob", Some(ip)).await;
        assert!(limit.check("carol", Some(ip)).await.is_err());
    }
}
