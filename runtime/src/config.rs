//! The configuration tree: one TOML file, every field documented in `config.example.toml`.
//!
//! Defaults are defined once, here, by the `Default` impls. Every key can be overridden by an
//! environment variable `EIDER_<SECTION>_<KEY>` (see [`Config::apply_env`]).

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

mod env;
mod listener;
pub use env::variable_names;
pub use listener::ListenerLimits;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Directory holding the embedded store (and nothing else of ours).
    pub data_dir: PathBuf,
    pub store: StoreConfig,
    pub mongodb: MongoConfig,
    pub redis: RedisConfig,
    pub metrics: MetricsConfig,
    pub lmtp: LmtpConfig,
    pub imap: ImapConfig,
    pub imaps: ListenConfig,
    pub pop3: Pop3Config,
    pub pop3s: ListenConfig,
    pub api: ApiConfig,
    pub tls: TlsConfig,
    pub auth: AuthConfig,
    pub limits: LimitsConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            store: StoreConfig::default(),
            mongodb: MongoConfig::default(),
            redis: RedisConfig::default(),
            metrics: MetricsConfig::default(),
            lmtp: LmtpConfig::default(),
            imap: ImapConfig::default(),
            imaps: ListenConfig::off(),
            pop3: Pop3Config::default(),
            pop3s: ListenConfig::off(),
            api: ApiConfig::default(),
            tls: TlsConfig::default(),
            auth: AuthConfig::default(),
            limits: LimitsConfig::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    #[default]
    Embedded,
    Mongodb,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    pub backend: Backend,
    /// Days journal entries are kept (they feed IDLE, CONDSTORE and the event stream).
    pub journal_days: u32,
    /// Seconds an unreferenced blob is protected from the sweep after it was written; must exceed
    /// the longest delivery.
    pub blob_grace_secs: u64,
    /// Seconds between background sweeps.
    pub sweep_interval_secs: u64,
    /// MiB of page cache the embedded store keeps in memory (its resident memory is bounded by
    /// this plus a little; the OS page cache still holds the file). The default, 8, keeps a
    /// daemon's growth while ingesting a 100 MB message under 16 MiB (docs/benchmarks.md).
    pub cache_mib: u64,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            backend: Backend::Embedded,
            journal_days: 30,
            blob_grace_secs: 3600,
            sweep_interval_secs: 600,
            cache_mib: 8,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MongoConfig {
    /// Connection string (`mongodb://host1,host2/?replicaSet=rs0`), used when
    /// `store.backend = "mongodb"`. The server must be a replica set (transactions).
    pub url: String,
    /// Database name.
    pub database: String,
    /// Milliseconds an operation waits for a reachable server before failing as unavailable.
    pub server_selection_timeout_ms: u64,
    /// Connections per server in the driver's pool.
    pub max_pool_size: u32,
    /// Write concern of every transaction: "majority", a number of members, or a tag set name.
    pub write_concern: String,
    /// Milliseconds a transaction that conflicts with others is retried before giving up.
    pub transaction_retry_ms: u64,
}

impl Default for MongoConfig {
    fn default() -> Self {
        Self {
            url: "mongodb://127.0.0.1:27017".into(),
            database: "eider".into(),
            server_selection_timeout_ms: 3000,
            max_pool_size: 64,
            write_concern: "majority".into(),
            transaction_retry_ms: 30_000,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisConfig {
    /// Empty: no Redis (single-process `eider serve` uses an in-process bus and counters).
    /// `redis://[user:pass@]host[:port][/db]`, `redis+unix:///path` or
    /// `redis+sentinel://host:port[,host:port...]/SERVICE[/db]` (see docs/scaling.md).
    pub url: String,
    /// Seconds between journal-check ticks sent to IDLE sessions while Redis is unreachable.
    pub poll_interval_secs: u64,
    /// Seconds after which a crashed process's connection leases expire (minimum 3).
    pub lease_ttl_secs: u64,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            poll_interval_secs: 5,
            lease_ttl_secs: 60,
        }
    }
}

/// Operational metrics (`GET /metrics` of eider-api; docs/api.md "Metrics").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Seconds between the snapshots a standalone daemon writes to Redis for the API to show
    /// (they expire after three intervals); 0: do not publish. Unused without `[redis] url`.
    pub publish_interval_secs: u64,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            publish_interval_secs: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListenConfig {
    /// `host:port` (LMTP also `unix:/path`); empty disables the listener.
    pub listen: String,
}

impl ListenConfig {
    fn off() -> Self {
        Self {
            listen: String::new(),
        }
    }

    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self::off()
    }
}

/// The IMAP server (`[imap]`); the implicit-TLS listener is `[imaps]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapConfig {
    /// `host:port`; empty disables the listener. STARTTLS is offered when `[tls]` is configured.
    pub listen: String,
    /// Connections served at once by one process (plain and implicit TLS together); more are
    /// greeted `* BYE [UNAVAILABLE]`.
    pub max_connections: u32,
    /// Connections at once from one client address (IPv6: per /64; behind a trusted proxy the
    /// address in its PROXY header); 0: no limit.
    pub max_connections_per_address: u32,
    /// Seconds from accept until login: a fixed deadline that client traffic does not extend.
    pub pre_login_timeout_secs: u64,
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`) of proxies whose PROXY protocol header
    /// (v1 or v2) is required and honoured; from any other address a header is not read.
    pub trusted_proxies: Vec<String>,
    /// Seconds a logged-in connection may stay silent, IDLE included (RFC 3501 §5.4: at least
    /// 30 minutes).
    pub idle_timeout_secs: u64,
    /// Bad commands tolerated per connection before it is closed with `* BYE`.
    pub max_bad_commands: u32,
    /// Failed LOGIN/AUTHENTICATE attempts tolerated per connection before it is closed.
    pub max_auth_failures: u32,
}

impl Default for ImapConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:1143".into(),
            max_connections: 2048,
            max_connections_per_address: 50,
            pre_login_timeout_secs: 60,
            trusted_proxies: Vec::new(),
            idle_timeout_secs: 30 * 60,
            max_bad_commands: 20,
            max_auth_failures: 5,
        }
    }
}

impl ImapConfig {
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

/// What POP3 `DELE` does to a message when the session commits at `QUIT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Pop3DeleteAction {
    /// Expunge the message from INBOX.
    Expunge,
    /// Move it to the user's `\Trash` mailbox (WildDuck's behaviour); expunge if there is none.
    #[default]
    Trash,
}

/// The POP3 server (`[pop3]`); the implicit-TLS listener is `[pop3s]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Pop3Config {
    /// `host:port`; empty disables the listener. STLS is offered when `[tls]` is configured.
    pub listen: String,
    /// Connections served at once by one process; more get a short refusal and are closed.
    pub max_connections: u32,
    /// Connections at once from one client address (IPv6: per /64; behind a trusted proxy the
    /// address in its PROXY header); 0: no limit.
    pub max_connections_per_address: u32,
    /// Seconds from accept until login: a fixed deadline that client traffic does not extend.
    pub pre_login_timeout_secs: u64,
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`) of proxies whose PROXY protocol header
    /// (v1 or v2) is required and honoured; from any other address a header is not read.
    pub trusted_proxies: Vec<String>,
    /// The maildrop is the newest this-many INBOX messages (WildDuck's default is 250); 0: all.
    pub max_messages: u32,
    /// What `DELE` does at `QUIT`: `"expunge"` or `"trash"`.
    pub delete_action: Pop3DeleteAction,
    /// Leave `IMPLEMENTATION` out of `CAPA`.
    pub hide_implementation: bool,
    /// Bytes a user may download per UTC day unless the user has their own limit; 0: unlimited.
    pub daily_download: u64,
    /// Seconds without a command before the connection is closed (RFC 1939 §3: at least 600).
    pub idle_timeout_secs: u64,
    /// Unknown or malformed commands tolerated per connection before it is closed.
    pub max_bad_commands: u32,
}

impl Default for Pop3Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:1110".into(),
            max_connections: 1024,
            max_connections_per_address: 20,
            pre_login_timeout_secs: 60,
            trusted_proxies: Vec::new(),
            max_messages: 250,
            delete_action: Pop3DeleteAction::Trash,
            hide_implementation: false,
            daily_download: 10 * 1024 * 1024 * 1024,
            idle_timeout_secs: 600,
            max_bad_commands: 10,
        }
    }
}

impl Pop3Config {
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

/// The LMTP delivery daemon (`eider-ingest`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LmtpConfig {
    /// `host:port` or `unix:/path`; empty disables the listener.
    pub listen: String,
    /// Connections served at once by one process; more get a short refusal and are closed.
    pub max_connections: u32,
    /// Connections at once from one client address (IPv6: per /64; behind a trusted proxy the
    /// address in its PROXY header); 0: no limit.
    pub max_connections_per_address: u32,
    /// Seconds from accept until LHLO: a fixed deadline that client traffic does not extend.
    pub pre_login_timeout_secs: u64,
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`) of proxies whose PROXY protocol header
    /// (v1 or v2) is required and honoured; from any other address a header is not read.
    pub trusted_proxies: Vec<String>,
    /// Name in the greeting and LHLO reply.
    pub hostname: String,
    /// Most RCPT TO accepted in one transaction.
    pub max_recipients: usize,
    /// Seconds a client may stay silent before the connection is closed.
    pub idle_timeout_secs: u64,
    /// Header the MTA's spam filter sets to mark spam (empty: none).
    pub spam_header: String,
    /// Value of `spam_header` meaning spam, compared case-insensitively.
    pub spam_value: String,
    /// Header holding a numeric spam score (empty: none).
    pub spam_score_header: String,
    /// Every connection starts with a TLS handshake (needs `[tls]`); otherwise STARTTLS is
    /// offered when `[tls]` is configured.
    pub implicit_tls: bool,
}

impl Default for LmtpConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:2424".into(),
            max_connections: 512,
            max_connections_per_address: 0,
            pre_login_timeout_secs: 60,
            trusted_proxies: Vec::new(),
            hostname: "localhost".into(),
            max_recipients: 1000,
            idle_timeout_secs: 300,
            spam_header: "X-Spam-Flag".into(),
            spam_value: "YES".into(),
            spam_score_header: "X-Spam-Score".into(),
            implicit_tls: false,
        }
    }
}

/// The HTTP API (`eider-api`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiConfig {
    /// `host:port`; empty disables the listener.
    pub listen: String,
    /// Connections served at once by one process; more get a short refusal and are closed.
    pub max_connections: u32,
    /// Connections at once from one client address (IPv6: per /64; behind a trusted proxy the
    /// address in its PROXY header); 0: no limit.
    pub max_connections_per_address: u32,
    /// Seconds until a request's header has been read (the first: from accept); a fixed
    /// deadline that client traffic does not extend.
    pub pre_login_timeout_secs: u64,
    /// Addresses or CIDR blocks (`10.0.0.0/8`, `::1`) of proxies whose PROXY protocol header
    /// (v1 or v2) is required and honoured; from any other address a header is not read.
    pub trusted_proxies: Vec<String>,
    /// Static bearer tokens with the operator role (access to every user). Empty: none, so only
    /// per-user tokens from `POST /authenticate` work; there is no open default.
    pub operator_tokens: Vec<String>,
    /// Seconds a token issued by `POST /authenticate` stays valid.
    pub token_lifetime_secs: u64,
    /// Largest request body accepted for JSON requests, bytes (uploads use `limits.max_message_size`).
    pub max_json_body: usize,
    /// SMTP smarthost (`host:port`, plain SMTP) that `POST /users/{user}/submit` relays through;
    /// empty disables submission.
    pub smarthost: String,
    /// PEM file of extra CA certificates trusted for `https://` webhook URLs, besides the
    /// built-in Mozilla roots (a private CA); empty: none.
    pub webhook_ca: String,
    /// Most recipients (To + Cc + Bcc) of one `POST /users/{user}/submit`; more is answered 400.
    pub submit_max_recipients: usize,
    /// Seconds to wait for the TCP connection to the smarthost.
    pub submit_connect_timeout_secs: u64,
    /// Seconds to wait for each smarthost reply (and each write); past it the submission fails
    /// with 502.
    pub submit_reply_timeout_secs: u64,
}

impl ApiConfig {
    pub fn enabled(&self) -> bool {
        !self.listen.is_empty()
    }
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            max_connections: 1024,
            max_connections_per_address: 256,
            pre_login_timeout_secs: 30,
            trusted_proxies: Vec::new(),
            operator_tokens: Vec::new(),
            token_lifetime_secs: 86400,
            max_json_body: 1024 * 1024,
            smarthost: String::new(),
            webhook_ca: String::new(),
            submit_max_recipients: 100,
            submit_connect_timeout_secs: 10,
            submit_reply_timeout_secs: 60,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// PEM certificate chain; empty disables STARTTLS and the implicit-TLS listeners.
    pub cert: String,
    /// PEM private key.
    pub key: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Allow LOGIN/USER/AUTH PLAIN without TLS from loopback peers.
    pub plaintext_loopback: bool,
    /// Allow plaintext login from anywhere (not recommended).
    pub plaintext_anywhere: bool,
    /// Milliseconds to wait before answering a failed authentication.
    pub failure_delay_ms: u64,
    /// Failed logins per user name, across every protocol and process, before further logins
    /// for that name are refused until the window ends (see `crate::auth_limit`); 0: no limit.
    pub max_failures_per_user: u32,
    /// Failed logins per client address (IPv6: per /64) before further logins from it are
    /// refused until the window ends; 0: no limit.
    pub max_failures_per_ip: u32,
    /// Length of the failure window in seconds, counted from the first failure.
    pub failure_window_secs: u64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            plaintext_loopback: true,
            plaintext_anywhere: false,
            failure_delay_ms: 1000,
            max_failures_per_user: 10,
            max_failures_per_ip: 50,
            failure_window_secs: 300,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest message accepted (LMTP SIZE, IMAP APPENDLIMIT), bytes.
    pub max_message_size: u64,
    /// Default quota for new users, bytes; 0 is unlimited.
    pub default_quota: u64,
    /// Default concurrent IMAP connections per user.
    pub imap_connections_per_user: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_message_size: 64 * 1024 * 1024,
            default_quota: 0,
            imap_connections_per_user: 20,
        }
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("environment variable {var}: {reason}")]
    Env { var: String, reason: String },
    /// `EIDER_` variables that look like configuration keys but name none (typos).
    #[error(
        "unknown configuration variable(s): {} (expected EIDER_<SECTION>_<KEY>, see config.example.toml)",
        .0.join(", ")
    )]
    UnknownEnv(Vec<String>),
}

impl Config {
    /// Reads a TOML file and applies environment overrides.
    pub fn load(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })?;
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    /// The defaults with environment overrides applied (no file).
    pub fn from_env() -> Result<Self, ConfigError> {
        let mut config = Config::default();
        config.apply_env(std::env::vars())?;
        Ok(config)
    }

    /// Applies `EIDER_<SECTION>_<KEY>` (and `EIDER_DATA_DIR`) overrides from `vars`.
    ///
    /// Values are parsed by the field's type; an unparsable value is [`ConfigError::Env`] naming
    /// its variable, and `EIDER_` variables that look like mistyped keys are
    /// [`ConfigError::UnknownEnv`]. On error `self` is unchanged.
    pub fn apply_env(
        &mut self,
        vars: impl Iterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        env::apply(self, vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../config.example.toml")
    }

    /// The shipped example documents the defaults: loading it must give exactly `Default`.
    #[test]
    fn example_config_is_the_defaults() {
        let text = std::fs::read_to_string(example_path()).unwrap();
        let parsed: Config = toml::from_str(&text).unwrap();
        assert_eq!(parsed, Config::default());
    }

    /// Every field of the tree appears (uncommented) in the example, with a comment above it.
    #[test]
    fn example_config_documents_every_field() {
        let text = std::fs::read_to_string(example_path()).unwrap();
        let mut documented = Vec::new();
        let (mut section, mut prev) = (String::new(), "");
        for line in text.lines() {
            if line.starts_with('#') {
                // a comment, possibly containing `=`
            } else if let Some(name) = line.strip_prefix('[') {
                section = format!("{}_", name.trim_end_matches(']'));
            } else if let Some((key, _)) = line.split_once('=')
                && prev.starts_with('#')
            {
                documented.push(format!("EIDER_{section}{}", key.trim()).to_ascii_uppercase());
            }
            prev = line;
        }
        let mut expected = variable_names(&Config::default());
        expected.sort();
        documented.sort();
        assert_eq!(documented, expected);
    }

    #[test]
    fn unknown_file_keys_are_rejected() {
        for text in [
            "imap_listen = \"x\"",
            "[imap]\nlisten = \"x\"\nport = 1",
            "[nope]",
        ] {
            assert!(toml::from_str::<Config>(text).is_err(), "{text}");
        }
    }
}
