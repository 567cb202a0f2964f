//! The redb tables of the embedded store, their key layout, and the record codec.
//!
//! Records are postcard-encoded model structs; keys are redb tuples so that a prefix range
//! (`(user, "")..(user + 1, "")`) selects everything of one owner. See `docs/storage.md`.
//!
//! Invariant: every table here is created by [`create_all`] when the store is opened, so read
//! transactions never meet a missing table.

use crate::error::{StoreError, StoreResult};
use redb::{ReadableTable, Table, TableDefinition, WriteTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Counters: `user`, `mailbox`, `thread`, `upload`, `uidvalidity`, `outbox`.
pub const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// user id → `User`.
pub const USERS: TableDefinition<u64, &[u8]> = TableDefinition::new("users");
/// NFC + lower-cased username → user id.
pub const USERNAMES: TableDefinition<&str, u64> = TableDefinition::new("usernames");
/// normalised address → `Address`.
pub const ADDRESSES: TableDefinition<&str, &[u8]> = TableDefinition::new("addresses");
/// (user, address) → (): a user's addresses.
pub const USER_ADDRESSES: TableDefinition<(u64, &str), ()> = TableDefinition::new("user_addresses");
/// alias domain → target domain.
pub const DOMAIN_ALIASES: TableDefinition<&str, &str> = TableDefinition::new("domain_aliases");
/// mailbox id → `Mailbox` (with its counters).
pub const MAILBOXES: TableDefinition<u64, &[u8]> = TableDefinition::new("mailboxes");
/// (user, path) → mailbox id.
pub const MAILBOX_PATHS: TableDefinition<(u64, &str), u64> = TableDefinition::new("mailbox_paths");
/// (mailbox, uid) → `MessageSummary` (the light record: flags, modseq, size, thread).
pub const SUMMARIES: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("summaries");
/// (mailbox, uid) → `MessageBody` (segments, sha256, parsed meta).
pub const BODIES: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("bodies");
/// (user, Message-ID) → thread id.
pub const THREADS: TableDefinition<(u64, &str), u64> = TableDefinition::new("threads");
/// (mailbox, modseq, n) → `JournalEntry`; `n` orders entries sharing a modseq.
pub const JOURNAL: TableDefinition<(u64, u64, u32), &[u8]> = TableDefinition::new("journal");
/// (at, mailbox, modseq, n) → (): the journal by time, for pruning.
pub const JOURNAL_TIME: TableDefinition<(i64, u64, u64, u32), ()> =
    TableDefinition::new("journal_time");
/// blob id → `BlobRecord`.
pub const BLOBS: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("blobs");
/// blob id → created time, for every committed blob with zero references (sweep candidates).
pub const UNREFERENCED: TableDefinition<[u8; 32], i64> = TableDefinition::new("unreferenced");
/// (chunk key, index) → compressed chunk. The key is the upload id the chunks were staged under;
/// a committed blob keeps it, so committing never copies chunks.
pub const CHUNKS: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("chunks");
/// upload id → opened time (uploads not yet committed or aborted).
pub const UPLOADS: TableDefinition<u64, i64> = TableDefinition::new("uploads");
/// key → `records::Rec` (value and optional expiry): generic records (API tokens, webhooks).
pub const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");
/// (expires, key) → (): records by expiry, for pruning.
pub const RECORD_EXPIRY: TableDefinition<(i64, &str), ()> = TableDefinition::new("record_expiry");
/// outbox id → `records::OutRow`.
pub const OUTBOX: TableDefinition<u64, &[u8]> = TableDefinition::new("outbox");
/// (lease end in unix ms, id) → (): undelivered outbox entries, for claims.
pub const OUTBOX_PENDING: TableDefinition<(i64, u64), ()> = TableDefinition::new("outbox_pending");
/// (expires, id) → (): outbox entries by expiry, for pruning.
pub const OUTBOX_EXPIRY: TableDefinition<(i64, u64), ()> = TableDefinition::new("outbox_expiry");

/// Every table open in one write transaction; a batch of operations shares one instance.
pub struct Tables<'txn> {
    pub meta: Table<'txn, &'static str, u64>,
    pub users: Table<'txn, u64, &'static [u8]>,
    pub usernames: Table<'txn, &'static str, u64>,
    pub addresses: Table<'txn, &'static str, &'static [u8]>,
    pub user_addresses: Table<'txn, (u64, &'static str), ()>,
    pub domain_aliases: Table<'txn, &'static str, &'static str>,
    pub mailboxes: Table<'txn, u64, &'static [u8]>,
    pub mailbox_paths: Table<'txn, (u64, &'static str), u64>,
    pub summaries: Table<'txn, (u64, u32), &'static [u8]>,
    pub bodies: Table<'txn, (u64, u32), &'static [u8]>,
    pub threads: Table<'txn, (u64, &'static str), u64>,
    pub journal: Table<'txn, (u64, u64, u32), &'static [u8]>,
    pub journal_time: Table<'txn, (i64, u64, u64, u32), ()>,
    pub blobs: Table<'txn, [u8; 32], &'static [u8]>,
    pub unreferenced: Table<'txn, [u8; 32], i64>,
    pub chunks: Table<'txn, (u64, u32), &'static [u8]>,
    pub uploads: Table<'txn, u64, i64>,
    pub records: Table<'txn, &'static str, &'static [u8]>,
    pub record_expiry: Table<'txn, (i64, &'static str), ()>,
    pub outbox: Table<'txn, u64, &'static [u8]>,
    pub outbox_pending: Table<'txn, (i64, u64), ()>,
    pub outbox_expiry: Table<'txn, (i64, u64), ()>,
}

impl<'txn> Tables<'txn> {
    pub fn open(txn: &'txn WriteTransaction) -> StoreResult<Self> {
        Ok(Self {
            meta: txn.open_table(META)?,
            users: txn.open_table(USERS)?,
            usernames: txn.open_table(USERNAMES)?,
            addresses: txn.open_table(ADDRESSES)?,
            user_addresses: txn.open_table(USER_ADDRESSES)?,
            domain_aliases: txn.open_table(DOMAIN_ALIASES)?,
            mailboxes: txn.open_table(MAILBOXES)?,
            mailbox_paths: txn.open_table(MAILBOX_PATHS)?,
            summaries: txn.open_table(SUMMARIES)?,
            bodies: txn.open_table(BODIES)?,
            threads: txn.open_table(THREADS)?,
            journal: txn.open_table(JOURNAL)?,
            journal_time: txn.open_table(JOURNAL_TIME)?,
            blobs: txn.open_table(BLOBS)?,
            unreferenced: txn.open_table(UNREFERENCED)?,
            chunks: txn.open_table(CHUNKS)?,
            uploads: txn.open_table(UPLOADS)?,
            records: txn.open_table(RECORDS)?,
            record_expiry: txn.open_table(RECORD_EXPIRY)?,
            outbox: txn.open_table(OUTBOX)?,
            outbox_pending: txn.open_table(OUTBOX_PENDING)?,
            outbox_expiry: txn.open_table(OUTBOX_EXPIRY)?,
        })
    }

    /// Allocates the next value of counter `name` (the first is 1).
    pub fn next_id(&mut self, name: &str) -> StoreResult<u64> {
        let next = self.meta.get(name)?.map(|g| g.value()).unwrap_or(0) + 1;
        self.meta.insert(name, next)?;
        Ok(next)
    }
}

/// Creates every table (idempotent), so readers can rely on them existing.
pub fn create_all(txn: &WriteTransaction) -> StoreResult<()> {
    Tables::open(txn).map(drop)
}

pub fn enc<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    postcard::to_allocvec(value).map_err(|e| StoreError::Internal(format!("encoding record: {e}")))
}

pub fn dec<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("decoding record: {e}")))
}

/// Loads and decodes the record under `key`, if any.
pub fn load<'a, K, T>(
    table: &impl ReadableTable<K, &'static [u8]>,
    key: impl std::borrow::Borrow<K::SelfType<'a>>,
) -> StoreResult<Option<T>>
where
    K: redb::Key + 'static,
    T: DeserializeOwned,
{
    match table.get(key)? {
        Some(guard) => Ok(Some(dec(guard.value())?)),
        None => Ok(None),
    }
}

macro_rules! internal_from {
    ($($ty:ty),*) => {$(
        impl From<$ty> for StoreError {
            fn from(e: $ty) -> Self {
                StoreError::Internal(format!("redb: {e}"))
            }
        }
    )*};
}

internal_from!(
    redb::Error,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::DatabaseError,
    redb::SetDurabilityError
);
