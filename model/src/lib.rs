//! The mail-level data model shared by every backend and daemon (see `docs/storage.md`).
//!
//! Invariants every backend keeps:
//! - a mailbox's `messages`, `unseen` and `size` equal a recount of its messages after every
//!   committed change;
//! - a user's `bytes_used` equals the sum of `size` over all their messages;
//! - a blob's reference count equals the number of (message, blob) pairs that name it, plus
//!   explicit references taken with `blob_ref`.

mod content;
mod flags;
mod journal;
mod mailbox;
mod message;
mod parsed;
pub mod types;
mod user;

pub use content::*;
pub use flags::*;
pub use journal::*;
pub use mailbox::*;
pub use message::*;
pub use parsed::*;
pub use user::*;

#[cfg(test)]
mod tests;
