//! Shared helpers for Eider's tests.

pub mod corpus;
pub mod imap_client;
pub mod lmtp_client;
