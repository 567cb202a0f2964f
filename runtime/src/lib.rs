//! Eider's daemon runtime: what every daemon needs around the store.
//!
//! - [`config`]: the one configuration tree (TOML, `deny_unknown_fields`, defaults defined once);
//! - [`context`]: the per-process [`Context`] (store, bus, counters, metrics) and [`Shutdown`];
//! - [`daemon`]: start-up and signal handling shared by the daemon binaries and `eider serve`;
//! - [`listener`]: the one accept loop of every daemon (limits, PROXY, pre-login deadline);
//! - [`transport`]: TLS, STARTTLS and COMPRESS=DEFLATE streams;
//! - [`metrics`], [`bus`], [`counters`]: counters and events, in process or through Redis;
//! - [`auth_limit`], [`password`], [`credentials`]: failed-login limits, password hashing, and
//!   checking a login's password off the async workers at the same cost for unknown users;
//! - [`open`]: opening the configured store backend; [`sweeper`]: its background sweep.
//!
//! It depends on [`eider_store`] and [`eider_model`], never on a daemon crate.

pub mod auth_limit;
pub mod bus;
pub mod config;
pub mod context;
pub mod counters;
pub mod credentials;
pub mod daemon;
pub mod listener;
pub mod metrics;
pub mod open;
pub mod password;
pub mod redis_url;
pub mod sweeper;
pub mod transport;

pub use context::{Context, Shutdown};
pub use open::open_store;
