//! The sans-I/O LMTP core (RFC 2033): command parsing, replies, the DATA decoder and the session
//! state machine. No sockets, no store: the driver in `crate::connection` does the I/O.

pub mod command;
pub mod data;
pub mod reply;
pub mod session;
