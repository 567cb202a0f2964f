//! The sans-I/O IMAP4rev1 protocol core: command receiver and parser, typed commands, response
//! encoder, ENVELOPE/BODYSTRUCTURE rendering, modified UTF-7 and mailbox names.
//!
//! Nothing here touches a socket, the store or a clock: bytes in, values out, values in, bytes
//! out. The session (`crate::session`) decides what to do with commands; a driver owns the I/O.
//!
//! A driver's read loop, in short:
//!
//! ```
//! use eider_imapd::proto::{CommandBody, Limits, Progress, Receiver};
//!
//! let mut rx = Receiver::new(Limits::default());
//! let mut log = Vec::new();
//! rx.feed(b"a1 LOGIN {5}\r\n");
//! loop {
//!     match rx.next() {
//!         Progress::NeedMore => break,
//!         // Write "+ Ready" to the client, then let the receiver read the literal.
//!         Progress::NeedsLiteral { .. } => rx.accept_literal(),
//!         other => log.push(format!("{other:?}")),
//!     }
//! }
//! rx.feed(b"alice secret\r\na2 APPEND INBOX {3+}\r\nabc\r\n");
//! loop {
//!     match rx.next() {
//!         Progress::NeedMore => break,
//!         Progress::Command(c) => assert!(matches!(c.body, CommandBody::Login(_))),
//!         Progress::Append(h) => assert_eq!(h.literal_size, 3),
//!         Progress::AppendData(bytes) => assert_eq!(bytes, b"abc"), // stream to the store
//!         Progress::AppendEnd => log.push("commit".to_owned()),
//!         other => panic!("{other:?}"),
//!     }
//! }
//! assert_eq!(log, ["commit"]);
//! ```

pub mod command;
pub mod cursor;
pub mod datetime;
pub mod error;
pub mod flag;
pub mod mailbox;
pub mod mutf7;
pub mod receiver;
pub mod response;
pub mod section;
pub mod seqset;
#[cfg(test)]
pub(crate) mod testkit;

pub use command::{Command, CommandBody};
pub use error::{ErrorKind, ReceiveError};
pub use receiver::{Limits, Progress, Receiver};
pub use seqset::SequenceSet;
