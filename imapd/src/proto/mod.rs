//! The sans-I/O IMAP4rev1 protocol core: command receiver and parser, typed commands, response
//! encoder, ENVELOPE/BODYSTRUCTURE rendering, modified UTF-7 and mailbox names.
//!
//! Nothing here touches a socket, the store or a clock: bytes in, values out, values in, bytes
//! out. The session (`crate::session`) decides what to do with commands; a driver owns the I/O.

pub mod command;
pub mod cursor;
pub mod datetime;
pub mod error;
pub mod flag;
pub mod mailbox;
pub mod mutf7;
pub mod receiver;
pub mod response;
pub mod seqset;
#[cfg(test)]
pub(crate) mod testkit;

pub use command::{Command, CommandBody};
pub use error::{ErrorKind, ReceiveError};
pub use receiver::{Limits, Progress, Receiver};
pub use seqset::SequenceSet;
