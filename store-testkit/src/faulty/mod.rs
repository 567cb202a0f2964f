//! [`FaultyStore`]: a [`MailStore`] wrapper that injects failures into write calls and counts
//! calls (test-only crate).
//!
//! Two kinds of fault model what a caller can meet:
//! - [`FaultMode::Before`]: the write is refused before it reaches the backend
//!   (`StoreError::Unavailable`, nothing happened), like a backend that is down;
//! - [`FaultMode::After`]: the write is delegated and takes effect, then the caller sees
//!   `StoreError::Internal`, like a crash or a lost reply between commit and answer.
//!
//! Writes are the methods that change state (everything but the getters, lists, lookups,
//! `changes_since`, `quota`, `blob_info`, `blob_chunks`, `record_get`, `record_list`,
//! `outbox_after`, `subscribe` and `stats`). After
//! [`FaultyStore::fail_nth_write`] the Nth write call from then on fails (and with `sticky`,
//! every later one too); reads always pass through.

use async_trait::async_trait;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid, UnixTime, UploadId, UserId};
use eider_model::{
    Address, Appended, BlobInfo, Copied, FlagOp, Flags, FlagsChanged, JournalEntry, Mailbox,
    MessageSummary, NewMessage, NewUser, OutboxEntry, Quota, SpecialUse, StoreEvent, StoredMessage,
    SweepStats, User, UserUpdate,
};
use eider_store::error::{StoreError, StoreResult};
use eider_store::mailstore::{MailStore, StoreStats};
use std::collections::BTreeMap;
use std::future::Future;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// When an injected fault strikes relative to the delegated call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultMode {
    /// Fail without calling the backend: the write did not happen.
    Before,
    /// Call the backend, then report failure: the write happened.
    After,
}

#[derive(Clone, Copy, Debug)]
struct Plan {
    nth: u64,
    mode: FaultMode,
    sticky: bool,
}

/// Wraps any store (also `dyn MailStore`) and injects faults into its write calls.
pub struct FaultyStore<S: MailStore + ?Sized> {
    inner: Arc<S>,
    plan: Mutex<Option<Plan>>,
    /// Write calls since the plan was armed.
    armed_writes: AtomicU64,
    writes: AtomicU64,
    reads: AtomicU64,
    injected: AtomicU64,
    per_method: Mutex<BTreeMap<&'static str, u64>>,
}

impl<S: MailStore + ?Sized> std::fmt::Debug for FaultyStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyStore")
            .field("plan", &self.plan.lock().ok().and_then(|p| *p))
            .field("writes", &self.writes)
            .field("reads", &self.reads)
            .field("injected", &self.injected)
            .finish_non_exhaustive()
    }
}

impl<S: MailStore + ?Sized> FaultyStore<S> {
    /// A pass-through wrapper (no fault armed).
    pub fn new(inner: Arc<S>) -> Self {
        Self {
            inner,
            plan: Mutex::new(None),
            armed_writes: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            injected: AtomicU64::new(0),
            per_method: Mutex::new(BTreeMap::new()),
        }
    }

    /// The wrapped store (to inspect it without going through the fault plan).
    pub fn inner(&self) -> &Arc<S> {
        &self.inner
    }

    /// Makes the `nth` (1-based) write call from now on fail in `mode`; with `sticky`, every
    /// write after it fails the same way.
    pub fn fail_nth_write(&self, nth: u64, mode: FaultMode, sticky: bool) {
        self.armed_writes.store(0, Ordering::SeqCst);
        if let Ok(mut p) = self.plan.lock() {
            *p = Some(Plan { nth, mode, sticky });
        }
    }

    /// Stops injecting faults.
    pub fn disarm(&self) {
        if let Ok(mut p) = self.plan.lock() {
            *p = None;
        }
    }

    /// Faults injected so far.
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    /// Write calls so far (including failed ones).
    pub fn write_calls(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Read calls so far.
    pub fn read_calls(&self) -> u64 {
        self.reads.load(Ordering::SeqCst)
    }

    /// Calls of one trait method so far, by name (`"append"`).
    pub fn calls(&self, method: &str) -> u64 {
        self.per_method
            .lock()
            .map(|m| m.get(method).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn count(&self, method: &'static str) {
        if let Ok(mut m) = self.per_method.lock() {
            *m.entry(method).or_default() += 1;
        }
    }

    async fn read<T>(&self, method: &'static str, call: impl Future<Output = T>) -> T {
        self.count(method);
        self.reads.fetch_add(1, Ordering::SeqCst);
        call.await
    }

    async fn write<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = StoreResult<T>>,
    ) -> StoreResult<T> {
        self.count(method);
        self.writes.fetch_add(1, Ordering::SeqCst);
        let n = self.armed_writes.fetch_add(1, Ordering::SeqCst) + 1;
        let plan = self.plan.lock().ok().and_then(|p| *p);
        let strike = plan.filter(|p| n == p.nth || (p.sticky && n > p.nth));
        let Some(plan) = strike else {
            return call.await;
        };
        self.injected.fetch_add(1, Ordering::SeqCst);
        match plan.mode {
            // The future is dropped unpolled: the backend never sees the call.
            FaultMode::Before => Err(StoreError::Unavailable(format!(
                "injected fault before {method} (write #{n})"
            ))),
            FaultMode::After => {
                let outcome = call.await.map(|_| ());
                Err(StoreError::Internal(format!(
                    "injected fault after {method} (write #{n}, backend said {outcome:?})"
                )))
            }
        }
    }
}

#[async_trait]
impl<S: MailStore + ?Sized> MailStore for FaultyStore<S> {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        self.write("create_user", self.inner.create_user(new)).await
    }
    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.read("get_user", self.inner.get_user(id)).await
    }
    async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        self.read("find_user", self.inner.find_user(username)).await
    }
    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        self.read("list_users", self.inner.list_users(after, limit))
            .await
    }
    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<User> {
        self.write("update_user", self.inner.update_user(id, update))
            .await
    }
    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.write("delete_user", self.inner.delete_user(id)).await
    }
    async fn add_address(
        &self,
        user: UserId,
        address: &str,
        display: &str,
    ) -> StoreResult<Address> {
        self.write(
            "add_address",
            self.inner.add_address(user, address, display),
        )
        .await
    }
    async fn list_addresses(&self, user: UserId) -> StoreResult<Vec<Address>> {
        self.read("list_addresses", self.inner.list_addresses(user))
            .await
    }
    async fn delete_address(&self, address: &str) -> StoreResult<()> {
        self.write("delete_address", self.inner.delete_address(address))
            .await
    }
    async fn lookup_address(&self, address: &str) -> StoreResult<Option<UserId>> {
        self.read("lookup_address", self.inner.lookup_address(address))
            .await
    }
    async fn add_domain_alias(&self, alias: &str, target: &str) -> StoreResult<()> {
        self.write(
            "add_domain_alias",
            self.inner.add_domain_alias(alias, target),
        )
        .await
    }
    async fn delete_domain_alias(&self, alias: &str) -> StoreResult<()> {
        self.write("delete_domain_alias", self.inner.delete_domain_alias(alias))
            .await
    }
    async fn lookup_domain_alias(&self, alias: &str) -> StoreResult<Option<String>> {
        self.read("lookup_domain_alias", self.inner.lookup_domain_alias(alias))
            .await
    }
    async fn create_mailbox(
        &self,
        user: UserId,
        path: &str,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<Mailbox> {
        self.write(
            "create_mailbox",
            self.inner.create_mailbox(user, path, special_use),
        )
        .await
    }
    async fn list_mailboxes(&self, user: UserId) -> StoreResult<Vec<Mailbox>> {
        self.read("list_mailboxes", self.inner.list_mailboxes(user))
            .await
    }
    async fn find_mailbox(&self, user: UserId, path: &str) -> StoreResult<Option<Mailbox>> {
        self.read("find_mailbox", self.inner.find_mailbox(user, path))
            .await
    }
    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>> {
        self.read("get_mailbox", self.inner.get_mailbox(id)).await
    }
    async fn rename_mailbox(&self, id: MailboxId, new_path: &str) -> StoreResult<()> {
        self.write("rename_mailbox", self.inner.rename_mailbox(id, new_path))
            .await
    }
    async fn delete_mailbox(&self, id: MailboxId) -> StoreResult<()> {
        self.write("delete_mailbox", self.inner.delete_mailbox(id))
            .await
    }
    async fn set_subscribed(&self, id: MailboxId, subscribed: bool) -> StoreResult<()> {
        self.write("set_subscribed", self.inner.set_subscribed(id, subscribed))
            .await
    }
    async fn set_special_use(
        &self,
        id: MailboxId,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<()> {
        self.write(
            "set_special_use",
            self.inner.set_special_use(id, special_use),
        )
        .await
    }
    async fn set_retention(&self, id: MailboxId, days: Option<u32>) -> StoreResult<()> {
        self.write("set_retention", self.inner.set_retention(id, days))
            .await
    }
    async fn append(&self, mailbox: MailboxId, message: NewMessage) -> StoreResult<Appended> {
        self.write("append", self.inner.append(mailbox, message))
            .await
    }
    async fn list_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<MessageSummary>> {
        self.read("list_messages", self.inner.list_messages(mailbox, uids))
            .await
    }
    async fn get_message(
        &self,
        mailbox: MailboxId,
        uid: Uid,
    ) -> StoreResult<Option<StoredMessage>> {
        self.read("get_message", self.inner.get_message(mailbox, uid))
            .await
    }
    async fn get_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<StoredMessage>> {
        self.read("get_messages", self.inner.get_messages(mailbox, uids))
            .await
    }
    async fn set_flags(
        &self,
        mailbox: MailboxId,
        uids: &[Uid],
        op: FlagOp,
        flags: &Flags,
        unchanged_since: Option<ModSeq>,
    ) -> StoreResult<FlagsChanged> {
        let call = self
            .inner
            .set_flags(mailbox, uids, op, flags, unchanged_since);
        self.write("set_flags", call).await
    }
    async fn expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>> {
        self.write("expunge", self.inner.expunge(mailbox, uids, only_deleted))
            .await
    }
    async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        self.write("copy_messages", self.inner.copy_messages(from, uids, to))
            .await
    }
    async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        self.write("move_messages", self.inner.move_messages(from, uids, to))
            .await
    }
    async fn changes_since(
        &self,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.read("changes_since", self.inner.changes_since(mailbox, since))
            .await
    }
    async fn quota(&self, user: UserId) -> StoreResult<Quota> {
        self.read("quota", self.inner.quota(user)).await
    }
    async fn record_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        self.write("record_put", self.inner.record_put(key, value, expires))
            .await
    }
    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.read("record_get", self.inner.record_get(key)).await
    }
    async fn record_delete(&self, key: &str) -> StoreResult<bool> {
        self.write("record_delete", self.inner.record_delete(key))
            .await
    }
    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let call = self.inner.record_list(prefix, after, limit);
        self.read("record_list", call).await
    }
    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        let call = self.inner.record_delete_prefix(prefix);
        self.write("record_delete_prefix", call).await
    }
    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        let call = self.inner.outbox_push(payload, expires);
        self.write("outbox_push", call).await
    }
    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.read("outbox_after", self.inner.outbox_after(after, limit))
            .await
    }
    async fn outbox_claim(&self, lease: Duration, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.write("outbox_claim", self.inner.outbox_claim(lease, limit))
            .await
    }
    async fn outbox_done(&self, id: u64) -> StoreResult<()> {
        self.write("outbox_done", self.inner.outbox_done(id)).await
    }
    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent> {
        self.inner.subscribe()
    }
    fn stats(&self) -> &StoreStats {
        self.inner.stats()
    }
    async fn blob_begin(&self) -> StoreResult<UploadId> {
        self.write("blob_begin", self.inner.blob_begin()).await
    }
    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()> {
        self.write(
            "blob_put_chunk",
            self.inner.blob_put_chunk(upload, index, data),
        )
        .await
    }
    async fn blob_commit(
        &self,
        upload: UploadId,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: u32,
    ) -> StoreResult<bool> {
        let call = self.inner.blob_commit(upload, id, size, chunk_size, chunks);
        self.write("blob_commit", call).await
    }
    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.write("blob_abort", self.inner.blob_abort(upload))
            .await
    }
    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.read("blob_info", self.inner.blob_info(id)).await
    }
    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>> {
        self.read("list_blobs", self.inner.list_blobs(after, limit))
            .await
    }
    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        self.read("blob_chunks", self.inner.blob_chunks(id, chunks))
            .await
    }
    async fn blob_ref(&self, id: BlobId) -> StoreResult<()> {
        self.write("blob_ref", self.inner.blob_ref(id)).await
    }
    async fn blob_unref(&self, id: BlobId) -> StoreResult<()> {
        self.write("blob_unref", self.inner.blob_unref(id)).await
    }
    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.write("sweep", self.inner.sweep(created_before, journal_before))
            .await
    }
}

#[cfg(test)]
mod tests;
