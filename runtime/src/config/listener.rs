//! [`ListenerLimits`]: the four listener keys every daemon section has (`max_connections`,
//! `max_connections_per_address`, `pre_login_timeout_secs`, `trusted_proxies`), read into the
//! one shape `crate::listener` enforces.

use super::{ApiConfig, ImapConfig, LmtpConfig, Pop3Config};

/// The one shape of a listener's limits, read from the same four keys of `[lmtp]`, `[imap]`,
/// `[pop3]` and `[api]` (`crate::listener` enforces them). Not a section of its own: each
/// daemon has its own defaults, chosen for its clients.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenerLimits {
    /// Connections at once (at least 1).
    pub max_connections: usize,
    /// Connections at once per client address; `None`: no limit.
    pub max_per_address: Option<usize>,
    /// From accept until login (at least 1 s).
    pub pre_login: std::time::Duration,
    /// `trusted_proxies` as written; parsed (and rejected when malformed) by the listener.
    pub trusted_proxies: Vec<String>,
}

impl ListenerLimits {
    fn new(max: u32, per_address: u32, pre_login_secs: u64, trusted: &[String]) -> Self {
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
        Self {
            max_connections: size(max.max(1)),
            max_per_address: (per_address > 0).then(|| size(per_address)),
            pre_login: std::time::Duration::from_secs(pre_login_secs.max(1)),
            trusted_proxies: trusted.to_vec(),
        }
    }
}

impl LmtpConfig {
    /// The limits of the LMTP listener.
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits::new(
            self.max_connections,
            self.max_connections_per_address,
            self.pre_login_timeout_secs,
            &self.trusted_proxies,
        )
    }
}

impl ImapConfig {
    /// The limits of the `[imap]` and `[imaps]` listeners (counted together).
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits::new(
            self.max_connections,
            self.max_connections_per_address,
            self.pre_login_timeout_secs,
            &self.trusted_proxies,
        )
    }
}

impl Pop3Config {
    /// The limits of the `[pop3]` and `[pop3s]` listeners (counted together).
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits::new(
            self.max_connections,
            self.max_connections_per_address,
            self.pre_login_timeout_secs,
            &self.trusted_proxies,
        )
    }
}

impl ApiConfig {
    /// The limits of the API listener.
    pub fn listener(&self) -> ListenerLimits {
        ListenerLimits::new(
            self.max_connections,
            self.max_connections_per_address,
            self.pre_login_timeout_secs,
            &self.trusted_proxies,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;
    use std::time::Duration;

    #[test]
    fn every_daemon_section_gives_its_limits() {
        let mut c = Config::default();
        assert_eq!(c.imap.listener().max_per_address, Some(50));
        assert_eq!(c.lmtp.listener().max_per_address, None, "0: no limit");
        assert_eq!(c.api.listener().pre_login, Duration::from_secs(30));
        c.pop3.max_connections = 0;
        c.pop3.pre_login_timeout_secs = 0;
        c.pop3.trusted_proxies = vec!["10.0.0.0/8".into()];
        let l = c.pop3.listener();
        // Zero would refuse or close every connection: at least one of each.
        assert_eq!(l.max_connections, 1);
        assert_eq!(l.pre_login, Duration::from_secs(1));
        assert_eq!(l.trusted_proxies, ["10.0.0.0/8"]);
    }
}
