//! Users, their limits and delivery filters, and their addresses.

use crate::types::{UnixTime, UserId};
use serde::{Deserialize, Serialize};

/// A user account as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Login name, Unicode NFC; unique case-insensitively.
    pub username: String,
    /// PHC string (argon2id for new users; imported bcrypt/pbkdf2/sha-crypt hashes verify too).
    pub password_hash: String,
    /// Storage quota in bytes; 0 means unlimited.
    pub quota: u64,
    /// Exact sum of the sizes of the user's messages.
    pub bytes_used: u64,
    pub disabled: bool,
    pub limits: UserLimits,
    /// 0 (deliver everything to INBOX) ..= 100 (route anything the filter flagged to Junk).
    pub spam_level: u8,
    pub created: UnixTime,
    /// Delivery filters, evaluated in order at ingest (see [`crate::filter`]).
    pub filters: Vec<Filter>,
}

/// Per-user limits; `None` means "use the server default".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLimits {
    pub imap_connections: Option<u32>,
    pub max_message_size: Option<u64>,
    /// Bytes a user may download over POP3 per day.
    pub pop3_daily_download: Option<u64>,
}

/// What `create_user` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub quota: u64,
    pub limits: UserLimits,
    pub spam_level: u8,
}

/// A partial update of a user; `None` fields are left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub password_hash: Option<String>,
    pub quota: Option<u64>,
    pub disabled: Option<bool>,
    pub limits: Option<UserLimits>,
    pub spam_level: Option<u8>,
    /// Replaces the whole filter list.
    pub filters: Option<Vec<Filter>>,
}

/// A delivery filter in the style of WildDuck's: every condition given must match
/// (case-insensitive substring on decoded header values); the actions then apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub name: String,
    pub disabled: bool,
    pub query: FilterQuery,
    pub action: FilterAction,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterQuery {
    /// Substring of the From header.
    pub from: Option<String>,
    /// Substring of the To or Cc header.
    pub to: Option<String>,
    pub subject: Option<String>,
    /// Substring of any header field: (field name, substring).
    pub header: Option<(String, String)>,
    /// Size strictly above, in bytes.
    pub larger: Option<u64>,
    /// Size strictly below, in bytes.
    pub smaller: Option<u64>,
    pub has_attachment: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterAction {
    /// File into this mailbox path (if it exists; else the message goes where it would have).
    pub mailbox: Option<String>,
    pub seen: bool,
    pub flagged: bool,
    /// Drop the message (accepted, not stored).
    pub discard: bool,
}

/// A delivery address owned by a user, in normalised form (see [`crate::address`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Normalised: lower-cased NFC local part, `@`, Unicode domain. `*@domain` is a catch-all.
    pub address: String,
    pub user: UserId,
    /// The form the operator typed, for display.
    pub display: String,
}
