//! Mailboxes and their special-use attributes (RFC 6154).

use crate::types::{MailboxId, ModSeq, Uid, UidValidity, UserId};
use serde::{Deserialize, Serialize};

/// RFC 6154 special-use attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpecialUse {
    All,
    Archive,
    Drafts,
    Flagged,
    Junk,
    Sent,
    Trash,
}

impl SpecialUse {
    /// The attribute as written in IMAP (`\Sent`).
    pub fn as_imap(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// Parses `\Sent` (case-insensitive, backslash optional).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('\\').unwrap_or(s);
        Some(match s.to_ascii_lowercase().as_str() {
            "all" => SpecialUse::All,
            "archive" => SpecialUse::Archive,
            "drafts" => SpecialUse::Drafts,
            "flagged" => SpecialUse::Flagged,
            "junk" => SpecialUse::Junk,
            "sent" => SpecialUse::Sent,
            "trash" => SpecialUse::Trash,
            _ => return None,
        })
    }
}

/// The mailboxes every new user gets, in this order.
pub const DEFAULT_MAILBOXES: &[(&str, Option<SpecialUse>)] = &[
    ("INBOX", None),
    ("Sent", Some(SpecialUse::Sent)),
    ("Drafts", Some(SpecialUse::Drafts)),
    ("Trash", Some(SpecialUse::Trash)),
    ("Junk", Some(SpecialUse::Junk)),
    ("Archive", Some(SpecialUse::Archive)),
];

/// A mailbox with its counters, as of the transaction that read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub user: UserId,
    /// UTF-8 path with `/` as the hierarchy separator. `INBOX` is always spelled so.
    pub path: String,
    pub special_use: Option<SpecialUse>,
    pub uid_validity: UidValidity,
    /// The UID the next appended message will get.
    pub uid_next: Uid,
    /// The modseq of the latest change; a fresh mailbox has 1.
    pub highest_modseq: ModSeq,
    pub subscribed: bool,
    /// Messages older than this many days are expunged by the retention sweep; `None` keeps all.
    pub retention_days: Option<u32>,
    pub messages: u32,
    pub unseen: u32,
    /// Sum of message sizes in bytes.
    pub size: u64,
}
