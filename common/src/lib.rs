//! Eider's shared core.
//!
//! Owns what every daemon needs: the configuration tree, the mail-level data model and the
//! [`store::MailStore`] trait with its backends, address normalisation, password hashing, and the
//! content model that rebuilds a message byte-for-byte from its skeleton and blobs.

pub mod address;
pub mod auth_limit;
pub mod bus;
pub mod config;
#[cfg(feature = "test-util")]
pub mod conformance;
pub mod content;
pub mod context;
pub mod counters;
pub mod daemon;
pub mod embedded;
pub mod error;
#[cfg(feature = "test-util")]
pub mod faulty;
pub mod filter;
pub mod ingest;
pub mod junk;
pub mod metrics;
pub mod mime;
pub mod model;
pub mod mongo;
pub mod open;
pub mod password;
pub mod redis_url;
pub mod store;
pub mod sweeper;
pub mod transport;
pub mod types;
pub mod verify;

pub use context::{Context, Shutdown};
pub use error::{StoreError, StoreResult};
pub use open::open_store;
pub use store::MailStore;
