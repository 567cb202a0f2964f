//! The change journal, the outbox, store events, quota and sweep results.

use crate::types::{BlobId, MailboxId, ModSeq, Uid, UnixTime, UserId};
use crate::*;
use serde::{Deserialize, Serialize};

/// One change, as journaled per mailbox in modseq order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    MailboxCreated { path: String },
    MailboxRenamed { from: String, to: String },
    MailboxDeleted { path: String },
    Added { uid: Uid, flags: Flags },
    Expunged { uid: Uid },
    FlagsChanged { uid: Uid, flags: Flags },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub mailbox: MailboxId,
    pub modseq: ModSeq,
    pub at: UnixTime,
    pub change: Change,
}

/// One entry of the store's outbox (see `MailStore::outbox_push`): an event recorded by one
/// process for others to deliver. `id`s increase in commit order; `claims` counts how often a
/// deliverer has claimed it (`MailStore::outbox_claim`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: u64,
    pub at: UnixTime,
    pub claims: u32,
    pub payload: Vec<u8>,
}

/// Notification that a mailbox changed; the journal is the source of truth, this is only a wake-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEvent {
    pub user: UserId,
    pub mailbox: MailboxId,
    pub modseq: ModSeq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// 0 means unlimited.
    pub limit: u64,
    pub used: u64,
}

/// Stored facts about a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub id: BlobId,
    /// Decoded size in bytes.
    pub size: u64,
    /// Decoded bytes per chunk (the last chunk may be shorter).
    pub chunk_size: u32,
    pub refs: u64,
    pub created: UnixTime,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    pub blobs: u64,
    pub chunks: u64,
    pub uploads: u64,
    pub journal_entries: u64,
}
