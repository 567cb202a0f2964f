//! The sans-I/O POP3 core: line splitting, command parsing, responses, the session state
//! machine, the UIDL rule and the streaming transforms RETR/TOP use. Nothing here performs I/O.

pub mod command;
pub mod line;
pub mod reply;
pub mod session;
pub mod stream;
mod transaction;
pub mod uidl;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod session_tests;
