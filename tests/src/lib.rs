//! Shared helpers for Eider's tests.

pub mod corpus;
pub mod lmtp_client;
