//! Newtypes for the protocol numbers and identifiers the store hands out.
//!
//! Identifiers are opaque 64-bit numbers: the embedded backend allocates them from counters, other
//! backends may choose them at random. Nothing outside a backend may derive meaning from their value
//! other than equality and ordering.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub struct $name(pub $inner);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId(u64)
);
id_type!(
    /// A mailbox; unique across all users, never reused.
    MailboxId(u64)
);
id_type!(
    /// A message's unique identifier within its mailbox (RFC 3501 §2.3.1.1). Starts at 1.
    Uid(u32)
);
id_type!(
    /// A mailbox's UIDVALIDITY (RFC 3501 §2.3.1.1).
    UidValidity(u32)
);
id_type!(
    /// A modification sequence (RFC 7162 §3.1). Per mailbox, strictly increasing with every change.
    ModSeq(u64)
);
id_type!(
    /// A conversation: messages linked by Message-ID / In-Reply-To / References within one user.
    ThreadId(u64)
);

/// A blob's identity: the SHA-256 of its (decoded) bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BlobId(pub [u8; 32]);

impl BlobId {
    /// Lower-case hex, the form used in logs, file names and the API.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({})", self.to_hex())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// An in-progress blob upload (chunks staged, not yet committed under their hash).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UploadId(pub u64);

/// Seconds since the Unix epoch, UTC.
pub type UnixTime = i64;
