//! The [`MailStore`] trait: the one mail-level interface every backend implements.
//!
//! Contract common to every method:
//! - Each call is atomic: it either takes full effect or none, and a concurrent reader never sees
//!   half of it. A write returns only once it is durable (survives `kill -9` and power loss for the
//!   embedded backend; `w: majority` for MongoDB).
//! - A write that changes a mailbox allocates the next MODSEQ(s) of that mailbox, journals each
//!   change under its MODSEQ in the same transaction, and publishes a [`StoreEvent`] after commit.
//! - Errors are [`StoreError`]s; a call that fails with a user error (`NotFound`, `AlreadyExists`,
//!   `OverQuota`, `Invalid`, `NotAllowed`, `MissingBlob`) changed nothing.
//!
//! The conformance suite (crate `eider-store-testkit`) checks all of this against
//! every backend.

use crate::error::{StoreError, StoreResult};
use async_trait::async_trait;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid, UnixTime, UploadId, UserId};
use eider_model::{
    Address, Appended, BlobInfo, Copied, FlagOp, Flags, FlagsChanged, JournalEntry, Mailbox,
    MessageSummary, NewMessage, NewUser, OutboxEntry, PendingBlob, Quota, SpecialUse, StoreEvent,
    StoredMessage, SweepStats, User, UserUpdate,
};
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counters a backend keeps about itself, readable at any time (tests and `/metrics`).
#[derive(Debug, Default)]
pub struct StoreStats {
    /// Bytes of message content (inline segments and compressed blob chunks) read from storage.
    pub content_bytes_read: AtomicU64,
    /// Committed write transactions.
    pub commits: AtomicU64,
}

impl StoreStats {
    pub fn add_content_read(&self, n: u64) {
        self.content_bytes_read.fetch_add(n, Ordering::Relaxed);
    }

    pub fn content_bytes_read(&self) -> u64 {
        self.content_bytes_read.load(Ordering::Relaxed)
    }
}

#[async_trait]
pub trait MailStore: Send + Sync + 'static {
    // ---- users -------------------------------------------------------------------------------

    /// Creates a user and, in the same transaction, the mailboxes of
    /// [`eider_model::DEFAULT_MAILBOXES`]. `AlreadyExists` if the username is taken
    /// (compared after NFC and lower-casing).
    async fn create_user(&self, new: NewUser) -> StoreResult<User>;

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>>;

    /// Looks a user up by login name (NFC, case-insensitive).
    async fn find_user(&self, username: &str) -> StoreResult<Option<User>>;

    /// Users ordered by id, starting after `after`, at most `limit`.
    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>>;

    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<User>;

    /// Deletes the user with all their mailboxes, messages, addresses and journal; releases their
    /// blob references. Atomic.
    async fn delete_user(&self, id: UserId) -> StoreResult<()>;

    // ---- addresses ---------------------------------------------------------------------------

    /// Adds an address for a user. `address` must already be normalised
    /// ([`crate::address::normalize`]); `*@domain` registers a catch-all.
    /// `AlreadyExists` if any user holds it.
    async fn add_address(&self, user: UserId, address: &str, display: &str)
    -> StoreResult<Address>;

    async fn list_addresses(&self, user: UserId) -> StoreResult<Vec<Address>>;

    /// Removes a normalised address. `NotFound` if nobody holds it.
    async fn delete_address(&self, address: &str) -> StoreResult<()>;

    /// Exact lookup of a normalised address (no plus-tag, alias or catch-all logic: see
    /// [`crate::address::resolve`]).
    async fn lookup_address(&self, address: &str) -> StoreResult<Option<UserId>>;

    /// Makes `alias` (a Unicode domain) deliver like `target`.
    async fn add_domain_alias(&self, alias: &str, target: &str) -> StoreResult<()>;

    async fn delete_domain_alias(&self, alias: &str) -> StoreResult<()>;

    /// The domain `alias` points to, if it is an alias.
    async fn lookup_domain_alias(&self, alias: &str) -> StoreResult<Option<String>>;

    // ---- mailboxes ---------------------------------------------------------------------------

    /// Creates a mailbox (parents are not created implicitly). Journals `MailboxCreated` at modseq 1.
    async fn create_mailbox(
        &self,
        user: UserId,
        path: &str,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<Mailbox>;

    /// All of a user's mailboxes, ordered by path.
    async fn list_mailboxes(&self, user: UserId) -> StoreResult<Vec<Mailbox>>;

    /// Finds a mailbox by path; `INBOX` matches case-insensitively.
    async fn find_mailbox(&self, user: UserId, path: &str) -> StoreResult<Option<Mailbox>>;

    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>>;

    /// Renames a mailbox and every mailbox below it (`a` → `b` also moves `a/x` to `b/x`), keeping
    /// ids, UIDVALIDITY and messages. INBOX cannot be renamed here (the IMAP layer implements
    /// RFC 3501's INBOX rule with create + move). `AlreadyExists` if any target path is taken.
    async fn rename_mailbox(&self, id: MailboxId, new_path: &str) -> StoreResult<()>;

    /// Deletes a mailbox and its messages (releasing blob references). INBOX cannot be deleted.
    async fn delete_mailbox(&self, id: MailboxId) -> StoreResult<()>;

    async fn set_subscribed(&self, id: MailboxId, subscribed: bool) -> StoreResult<()>;

    async fn set_special_use(
        &self,
        id: MailboxId,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<()>;

    async fn set_retention(&self, id: MailboxId, days: Option<u32>) -> StoreResult<()>;

    // ---- messages ----------------------------------------------------------------------------

    /// Appends a message. In one transaction: checks the owner's quota (`OverQuota`) and that every
    /// referenced blob exists (`MissingBlob`), allocates the next UID and MODSEQ, writes the
    /// message, takes one reference on each distinct blob, assigns a thread, updates the mailbox
    /// counters and the user's usage, and journals `Added`. Two concurrent appends never share a UID.
    async fn append(&self, mailbox: MailboxId, message: NewMessage) -> StoreResult<Appended>;

    /// Stores each of `blobs` as [`blob_put`](Self::blob_put) does (one that already exists is
    /// kept), then appends `message`, which may refer to them. A backend may do it all in one
    /// write: the embedded store does, so an LMTP delivery waits for one group commit instead of
    /// one per small blob plus one for the append. If the append fails, blobs stored before it
    /// are left unreferenced (swept after the grace period) or, in a one-write backend, never
    /// stored.
    async fn append_with_blobs(
        &self,
        mailbox: MailboxId,
        message: NewMessage,
        blobs: Vec<PendingBlob>,
    ) -> StoreResult<Appended> {
        for b in blobs {
            self.blob_put(b.id, b.size, b.chunk_size, b.chunks).await?;
        }
        self.append(mailbox, message).await
    }

    /// Summaries of the messages whose UID lies in `uids`, ascending by UID.
    async fn list_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<MessageSummary>>;

    /// Everything stored about one message.
    async fn get_message(&self, mailbox: MailboxId, uid: Uid)
    -> StoreResult<Option<StoredMessage>>;

    /// Full records for a UID range, ascending (SEARCH over headers, API listings).
    async fn get_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<StoredMessage>>;

    /// Changes the flags of the listed messages (missing UIDs are ignored). With `unchanged_since`,
    /// messages whose modseq is above it are left alone and reported in `modified`. Messages
    /// whose flags actually change get one new MODSEQ (shared by this call) and a `FlagsChanged`
    /// journal entry; the unseen counter follows.
    async fn set_flags(
        &self,
        mailbox: MailboxId,
        uids: &[Uid],
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<ModSeq>,
    ) -> StoreResult<FlagsChanged>;

    /// Removes the listed messages (all messages when `uids` is `None`); with `only_deleted`, only
    /// those flagged `\Deleted`. Journals `Expunged` per message, releases blob references,
    /// adjusts counters and usage. Returns the removed UIDs ascending.
    async fn expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>>;

    /// Copies messages to another mailbox of the same user, in source UID order, with new UIDs,
    /// keeping flags and internal date. Quota is checked for the whole batch.
    ///
    /// A copy that is a junk training signal (into or out of `\Junk`, see
    /// [`crate::junk::classify`]) also appends its [`crate::junk::outbox_entry`] to the outbox
    /// (as [`outbox_push`](Self::outbox_push)), in the same transaction. So does a move.
    async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied>;

    /// Copy and expunge from the source in one transaction (RFC 6851). Quota is unchanged.
    async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied>;

    // ---- journal, quota ------------------------------------------------------------------------

    /// Journal entries of a mailbox with modseq > `since`, ascending. Entries older than the
    /// retention window may have been pruned: callers that see a gap must resynchronise.
    async fn changes_since(
        &self,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> StoreResult<Vec<JournalEntry>>;

    async fn quota(&self, user: UserId) -> StoreResult<Quota>;

    // ---- records and outbox (state the API processes share) ----------------------------------
    //
    // Two small generic shapes instead of one method per feature: keyed records with an
    // optional expiry (API tokens under `token/`, webhooks under `webhook/`), and an outbox of
    // events that one process records and others deliver (junk training signals). Neither
    // journals nor publishes a `StoreEvent`. Times are the store's clock (unix seconds).

    /// Stores `value` under `key`, replacing any record there. With `expires`, the record reads
    /// as absent from that time on (the backend removes it physically some time later).
    async fn record_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()>;

    /// The unexpired record under `key`.
    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>>;

    /// Removes the record under `key`; `true` if an unexpired one was there.
    async fn record_delete(&self, key: &str) -> StoreResult<bool>;

    /// Unexpired records whose key starts with `prefix`, ordered by key (bytewise), starting
    /// after key `after`, at most `limit`.
    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>>;

    /// Removes every record whose key starts with `prefix` (atomically); returns how many
    /// (expired ones included).
    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64>;

    /// Appends an event to the outbox, pending delivery, kept until `expires` whether delivered
    /// or not. Returns its id: ids are unique, increase, and are visible in increasing order
    /// (an entry is never visible before one with a smaller id that will ever be visible), so
    /// readers can tail the outbox with [`outbox_after`](Self::outbox_after).
    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64>;

    /// Unexpired entries with id > `after`, ascending, at most `limit` (delivered or not).
    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>>;

    /// Claims up to `limit` unexpired entries that are pending (not `outbox_done`) and not
    /// leased, oldest first, leasing each for `lease` and counting the claim in `claims` (the
    /// returned value includes it). Each claim is atomic: while a lease runs no other call
    /// returns that entry; when it runs out without `outbox_done`, the entry is claimable again
    /// (at-least-once delivery).
    async fn outbox_claim(&self, lease: Duration, limit: usize) -> StoreResult<Vec<OutboxEntry>>;

    /// Marks an entry delivered (it is never claimed again); unknown ids are ignored.
    async fn outbox_done(&self, id: u64) -> StoreResult<()>;

    /// Subscribe to change notifications (committed writes) from this store.
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent>;

    fn stats(&self) -> &StoreStats;

    // ---- blobs -------------------------------------------------------------------------------

    /// Opens an upload. Chunks are staged under it and only become a blob at `blob_commit`.
    async fn blob_begin(&self) -> StoreResult<UploadId>;

    /// Stages chunk `index` (0-based) of an upload: `data` is the zstd-compressed chunk.
    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()>;

    /// Turns an upload into blob `id` (the SHA-256 of the decoded bytes, `size` of them, staged in
    /// `chunks` chunks of `chunk_size`). If the blob already exists the staged chunks are dropped
    /// and the existing blob is kept (returns `true` for "already existed"). A new blob starts
    /// with zero references and is protected from the sweep for the grace period. A new blob
    /// whose `chunks` is not `size / chunk_size` rounded up, or not exactly the chunks staged,
    /// is refused with `StoreError::Invalid`.
    ///
    /// Durability exception: a backend may return before the blob is durable, provided it is
    /// durable no later than the next durable write that refers to it (the `append`). A crash
    /// in between can then only lose a blob nothing refers to yet; the delivery was not
    /// acknowledged and is retried.
    async fn blob_commit(
        &self,
        upload: UploadId,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: u32,
    ) -> StoreResult<bool>;

    /// Discards an upload's staged chunks.
    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()>;

    /// Stores a whole blob in one call: the same outcome, errors and durability as
    /// `blob_begin`, `blob_put_chunk` for each of `chunks` in order, then `blob_commit` (so
    /// `true` means it already existed). A backend may do it in one step: the embedded store uses
    /// one write transaction, which matters on the ingest path, where most message skeletons fit
    /// in one chunk. On error nothing is stored (the default aborts its upload).
    async fn blob_put(
        &self,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<bool> {
        let count = u32::try_from(chunks.len())
            .map_err(|_| StoreError::Invalid("too many chunks in one blob".into()))?;
        let upload = self.blob_begin().await?;
        for (index, data) in (0..count).zip(chunks) {
            if let Err(e) = self.blob_put_chunk(upload, index, data).await {
                let _ = self.blob_abort(upload).await;
                return Err(e);
            }
        }
        let committed = self.blob_commit(upload, id, size, chunk_size, count).await;
        if committed.is_err() {
            let _ = self.blob_abort(upload).await;
        }
        committed
    }

    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>>;

    /// Committed blobs ordered by id, starting after `after`, at most `limit` (verification, sweeps).
    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>>;

    /// The compressed chunks `chunks` of a blob, in order.
    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>>;

    /// The blob's info and the compressed chunks covering its decoded bytes `start..end`
    /// (`blob_info`, then `blob_chunks` of those chunks), in one step where the backend can: the
    /// embedded store uses one read transaction, which halves the store trips of a message read.
    /// `None` if the blob does not exist; no chunks when `start..end` is empty or not within the
    /// blob (the caller decides whether that is corruption).
    async fn blob_read(
        &self,
        id: BlobId,
        start: u64,
        end: u64,
    ) -> StoreResult<Option<(BlobInfo, Vec<Vec<u8>>)>> {
        let Some(info) = self.blob_info(id).await? else {
            return Ok(None);
        };
        match covering_chunks(&info, start, end) {
            Some(range) => Ok(Some((info, self.blob_chunks(id, range).await?))),
            None => Ok(Some((info, Vec::new()))),
        }
    }

    /// Takes an explicit reference on a blob (for holders other than messages).
    async fn blob_ref(&self, id: BlobId) -> StoreResult<()>;

    /// Releases an explicit reference.
    async fn blob_unref(&self, id: BlobId) -> StoreResult<()>;

    /// Deletes blobs with no references created before `created_before`, uploads never committed
    /// that were opened before it, and journal entries older than `journal_before`.
    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats>;
}

/// The chunk indexes holding decoded bytes `start..end` of a blob; `None` when the range is
/// empty or not within the blob.
pub fn covering_chunks(info: &BlobInfo, start: u64, end: u64) -> Option<RangeInclusive<u32>> {
    if start >= end || end > info.size || info.chunk_size == 0 {
        return None;
    }
    let cs = u64::from(info.chunk_size);
    let first = u32::try_from(start / cs).ok()?;
    let last = u32::try_from((end - 1) / cs).ok()?;
    Some(first..=last)
}
