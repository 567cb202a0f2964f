//! The sans-I/O IMAP4rev1 protocol core: command receiver and parser, typed commands, response
//! encoder, ENVELOPE/BODYSTRUCTURE rendering, modified UTF-7 and mailbox names.
//!
//! Nothing here touches a socket, the store or a clock: bytes in, values out, values in, bytes
//! out. The session (`crate::session`) decides what to do with commands; a driver owns the I/O.
//!
//! RFCs and their status in this core (parser, encoder, session logic):
//!
//! | RFC | what | status |
//! |---|---|---|
//! | 3501 | IMAP4rev1 | all commands and responses; §6.4.5 sections; §5.1.3 mUTF-7 |
//! | 2177 | IDLE | yes (raw `DONE` line) |
//! | 2342 | NAMESPACE | yes (one personal namespace) |
//! | 2971 | ID | yes |
//! | 3516 | BINARY | FETCH items parsed and encoded, literal8; not announced |
//! | 4315 | UIDPLUS | UID EXPUNGE, APPENDUID, COPYUID codes |
//! | 4731 | ESEARCH | RETURN (MIN MAX COUNT ALL), ESEARCH response |
//! | 4959 | SASL-IR | AUTHENTICATE PLAIN initial response |
//! | 4978 | COMPRESS | command and session switch (the driver compresses) |
//! | 5032 | WITHIN | OLDER / YOUNGER |
//! | 5161 | ENABLE | CONDSTORE, UTF8=ACCEPT |
//! | 5182 | SEARCHRES | SAVE and `$` |
//! | 5258, 5819 | LIST-EXTENDED, LIST-STATUS | selection and return options, CHILDINFO |
//! | 5530 | response codes | all common codes |
//! | 6154 | SPECIAL-USE | attributes, CREATE (USE ...), XLIST |
//! | 6851 | MOVE | yes |
//! | 6855 | UTF8=ACCEPT | UTF-8 names and strings, APPEND UTF8 (~{n}), downgrade otherwise |
//! | 7162 | CONDSTORE | SELECT param, CHANGEDSINCE, UNCHANGEDSINCE, MODSEQ item/key/codes; no QRESYNC |
//! | 7888 | LITERAL+ / LITERAL- | both, with the 4096-byte LITERAL- limit |
//! | 7889 | APPENDLIMIT | capability and STATUS item |
//! | 8438 | STATUS=SIZE | yes |
//! | 9208 | QUOTA | GETQUOTA, GETQUOTAROOT, SETQUOTA (refused) |
//! | 3502 | MULTIAPPEND | not offered (refused with BAD, literals skipped) |
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
pub mod seqset;
#[cfg(test)]
pub(crate) mod testkit;

pub use command::{Command, CommandBody};
pub use error::{ErrorKind, ReceiveError};
pub use receiver::{Limits, Progress, Receiver};
pub use seqset::SequenceSet;
