//! Test support for Eider's store, kept out of every production build.
//!
//! - [`conformance`]: the backend-independent conformance suite for
//!   [`eider_store::MailStore`]; a backend's test file expands [`conformance_suite!`];
//! - [`faulty`]: a wrapper that injects failures and crashes into any store's calls.

pub mod conformance;
pub mod faulty;
