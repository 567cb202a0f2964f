//! Eider's mail store.
//!
//! Owns everything between a parsed message and durable storage:
//! - [`MailStore`] (in [`mailstore`]): the one mail-level trait every backend implements, each
//!   method documenting its atomicity and ordering contract;
//! - [`rules`]: the rules both backends share (flag arithmetic, mailbox names, username keys);
//! - [`embedded`] (redb, one process) and [`mongo`] (MongoDB, many processes): the backends;
//! - [`content`]: rebuilding a message byte-for-byte from its segments and compressed blob chunks;
//! - [`ingest`]: the pipeline from a message stream to a stored message (MIME split, blobs);
//! - [`address`], [`filter`], [`junk`], [`sent_dedup`]: delivery-time rules over the store;
//! - [`verify`]: the byte-exactness check behind `eider verify`.
//!
//! The data model is [`eider_model`]; MIME parsing is [`eider_mime`]. The conformance suite and
//! the fault-injecting wrapper live in the test-only crate `eider-store-testkit`.

pub mod address;
pub mod content;
pub mod embedded;
pub mod error;
pub mod filter;
pub mod ingest;
pub mod junk;
pub mod mailstore;
pub mod mongo;
pub mod rules;
pub mod sent_dedup;
pub mod verify;

pub use error::{StoreError, StoreResult};
pub use mailstore::MailStore;
