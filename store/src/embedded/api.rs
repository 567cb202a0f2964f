//! `impl MailStore for EmbeddedStore`: each method is a read transaction on the blocking pool or
//! a job for the writer thread (see [`super::writer`]); the logic lives in the sibling modules.

use super::{EmbeddedStore, blobs, flags, journal, mailboxes, messages, records, unix_now, users};
use crate::error::StoreResult;
use crate::mailstore::{MailStore, StoreStats};
use async_trait::async_trait;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid, UnixTime, UploadId, UserId};
use eider_model::{
    Address, Appended, BlobInfo, Copied, FlagOp, Flags, FlagsChanged, JournalEntry, Mailbox,
    MessageSummary, NewMessage, NewUser, OutboxEntry, PendingBlob, Quota, SpecialUse, StoreEvent,
    StoredMessage, SweepStats, User, UserUpdate,
};
use std::ops::RangeInclusive;
use std::time::Duration;

#[async_trait]
impl MailStore for EmbeddedStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        self.write(true, move |t, ctx| users::create_user(t, ctx, &new))
            .await
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.read(move |txn| users::get_user(txn, id)).await
    }

    async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        let username = username.to_string();
        self.read(move |txn| users::find_user(txn, &username)).await
    }

    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        self.read(move |txn| users::list_users(txn, after, limit))
            .await
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<User> {
        self.write(true, move |t, _| users::update_user(t, id, &update))
            .await
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.write(true, move |t, ctx| users::delete_user(t, ctx, id))
            .await
    }

    async fn add_address(
        &self,
        user: UserId,
        address: &str,
        display: &str,
    ) -> StoreResult<Address> {
        let (address, display) = (address.to_string(), display.to_string());
        self.write(true, move |t, _| {
            users::add_address(t, user, &address, &display)
        })
        .await
    }

    async fn list_addresses(&self, user: UserId) -> StoreResult<Vec<Address>> {
        self.read(move |txn| users::list_addresses(txn, user)).await
    }

    async fn delete_address(&self, address: &str) -> StoreResult<()> {
        let address = address.to_string();
        self.write(true, move |t, _| users::delete_address(t, &address))
            .await
    }

    async fn lookup_address(&self, address: &str) -> StoreResult<Option<UserId>> {
        let address = address.to_string();
        self.read(move |txn| users::lookup_address(txn, &address))
            .await
    }

    async fn add_domain_alias(&self, alias: &str, target: &str) -> StoreResult<()> {
        let (alias, target) = (alias.to_string(), target.to_string());
        self.write(true, move |t, _| {
            users::add_domain_alias(t, &alias, &target)
        })
        .await
    }

    async fn delete_domain_alias(&self, alias: &str) -> StoreResult<()> {
        let alias = alias.to_string();
        self.write(true, move |t, _| users::delete_domain_alias(t, &alias))
            .await
    }

    async fn lookup_domain_alias(&self, alias: &str) -> StoreResult<Option<String>> {
        let alias = alias.to_string();
        self.read(move |txn| users::lookup_domain_alias(txn, &alias))
            .await
    }

    async fn create_mailbox(
        &self,
        user: UserId,
        path: &str,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<Mailbox> {
        let path = path.to_string();
        self.write(true, move |t, ctx| {
            mailboxes::create(t, ctx, user, &path, special_use)
        })
        .await
    }

    async fn list_mailboxes(&self, user: UserId) -> StoreResult<Vec<Mailbox>> {
        self.read(move |txn| mailboxes::list(txn, user)).await
    }

    async fn find_mailbox(&self, user: UserId, path: &str) -> StoreResult<Option<Mailbox>> {
        let path = path.to_string();
        self.read(move |txn| mailboxes::find(txn, user, &path))
            .await
    }

    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>> {
        self.read(move |txn| mailboxes::get(txn, id)).await
    }

    async fn rename_mailbox(&self, id: MailboxId, new_path: &str) -> StoreResult<()> {
        let new_path = new_path.to_string();
        self.write(true, move |t, ctx| mailboxes::rename(t, ctx, id, &new_path))
            .await
    }

    async fn delete_mailbox(&self, id: MailboxId) -> StoreResult<()> {
        self.write(true, move |t, ctx| mailboxes::delete(t, ctx, id))
            .await
    }

    async fn set_subscribed(&self, id: MailboxId, subscribed: bool) -> StoreResult<()> {
        self.write(true, move |t, _| {
            mailboxes::update(t, id, |m| m.subscribed = subscribed)
        })
        .await
    }

    async fn set_special_use(
        &self,
        id: MailboxId,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<()> {
        self.write(true, move |t, _| {
            mailboxes::update(t, id, |m| m.special_use = special_use)
        })
        .await
    }

    async fn set_retention(&self, id: MailboxId, days: Option<u32>) -> StoreResult<()> {
        self.write(true, move |t, _| {
            mailboxes::update(t, id, |m| m.retention_days = days)
        })
        .await
    }

    async fn append(&self, mailbox: MailboxId, message: NewMessage) -> StoreResult<Appended> {
        self.write(true, move |t, ctx| {
            messages::append(t, ctx, mailbox, &message)
        })
        .await
    }

    async fn append_with_blobs(
        &self,
        mailbox: MailboxId,
        message: NewMessage,
        pending: Vec<PendingBlob>,
    ) -> StoreResult<Appended> {
        // One durable job: a failing append aborts the transaction, blobs included.
        self.write(true, move |t, ctx| {
            for b in &pending {
                blobs::put_whole(t, ctx, b.id, b.size, b.chunk_size, &b.chunks)?;
            }
            messages::append(t, ctx, mailbox, &message)
        })
        .await
    }

    async fn list_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<MessageSummary>> {
        self.read(move |txn| messages::list(txn, mailbox, uids))
            .await
    }

    async fn get_message(
        &self,
        mailbox: MailboxId,
        uid: Uid,
    ) -> StoreResult<Option<StoredMessage>> {
        self.read(move |txn| messages::get(txn, mailbox, uid)).await
    }

    async fn get_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<StoredMessage>> {
        self.read(move |txn| messages::get_many(txn, mailbox, uids))
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
        let (uids, flags) = (uids.to_vec(), flags.clone());
        self.write(true, move |t, ctx| {
            flags::set_flags(t, ctx, mailbox, &uids, op, &flags, unchanged_since)
        })
        .await
    }

    async fn expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>> {
        let uids = uids.map(<[Uid]>::to_vec);
        self.write(true, move |t, ctx| {
            messages::expunge(t, ctx, mailbox, uids.as_deref(), only_deleted)
        })
        .await
    }

    async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        let uids = uids.to_vec();
        self.write(true, move |t, ctx| {
            messages::copy(t, ctx, from, &uids, to, false)
        })
        .await
    }

    async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        let uids = uids.to_vec();
        self.write(true, move |t, ctx| {
            messages::copy(t, ctx, from, &uids, to, true)
        })
        .await
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.read(move |txn| {
            mailboxes::get_required(txn, mailbox)?;
            journal::changes_since(txn, mailbox, since)
        })
        .await
    }

    async fn quota(&self, user: UserId) -> StoreResult<Quota> {
        self.read(move |txn| {
            let user = users::get_user(txn, user)?
                .ok_or_else(|| crate::error::StoreError::NotFound(format!("user {user}")))?;
            Ok(Quota {
                limit: user.quota,
                used: user.bytes_used,
            })
        })
        .await
    }

    async fn record_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        let key = key.to_string();
        self.write(true, move |t, ctx| {
            records::put(t, ctx.now, &key, &value, expires)
        })
        .await
    }

    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let key = key.to_string();
        self.read(move |txn| records::get(txn, unix_now(), &key))
            .await
    }

    async fn record_delete(&self, key: &str) -> StoreResult<bool> {
        let key = key.to_string();
        self.write(true, move |t, ctx| records::delete(t, ctx.now, &key))
            .await
    }

    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let (prefix, after) = (prefix.to_string(), after.map(str::to_string));
        self.read(move |txn| records::list(txn, unix_now(), &prefix, after.as_deref(), limit))
            .await
    }

    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        let prefix = prefix.to_string();
        self.write(true, move |t, ctx| {
            records::delete_prefix(t, ctx.now, &prefix)
        })
        .await
    }

    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        self.write(true, move |t, ctx| {
            records::push(t, ctx.now, &payload, expires)
        })
        .await
    }

    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.read(move |txn| records::after(txn, unix_now(), after, limit))
            .await
    }

    async fn outbox_claim(&self, lease: Duration, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        self.write(true, move |t, ctx| {
            records::claim(t, ctx.now, records::now_ms(), lease_ms, limit)
        })
        .await
    }

    async fn outbox_done(&self, id: u64) -> StoreResult<()> {
        self.write(true, move |t, _| records::done(t, id)).await
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    fn stats(&self) -> &StoreStats {
        &self.stats
    }

    async fn blob_begin(&self) -> StoreResult<UploadId> {
        // Staging is not durable on its own: the commit that names the blob is.
        self.write(false, |t, ctx| blobs::begin(t, ctx)).await
    }

    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()> {
        self.write(false, move |t, _| blobs::put_chunk(t, upload, index, &data))
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
        // Not fsynced on its own: the append that refers to the blob is, and an immediate
        // commit makes every earlier commit durable too. A crash in between loses only a blob
        // nothing refers to yet (see `MailStore::blob_commit`).
        self.write(false, move |t, ctx| {
            blobs::commit(t, ctx, upload, id, size, chunk_size, chunks)
        })
        .await
    }

    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.write(false, move |t, _| blobs::abort(t, upload)).await
    }

    async fn blob_put(
        &self,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: Vec<Vec<u8>>,
    ) -> StoreResult<bool> {
        // One writer job instead of three: begin, stage and commit in one transaction (a
        // failure aborts it, so nothing is left staged). Not durable on its own, as
        // `blob_commit`.
        self.write(false, move |t, ctx| {
            blobs::put_whole(t, ctx, id, size, chunk_size, &chunks)
        })
        .await
    }

    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.read(move |txn| blobs::info(txn, id)).await
    }

    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>> {
        self.read(move |txn| blobs::list(txn, after, limit)).await
    }

    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let (data, bytes) = self.read(move |txn| blobs::chunks(txn, id, chunks)).await?;
        self.stats.add_content_read(bytes);
        Ok(data)
    }

    async fn blob_read(
        &self,
        id: BlobId,
        start: u64,
        end: u64,
    ) -> StoreResult<Option<(BlobInfo, Vec<Vec<u8>>)>> {
        let read = self
            .read(move |txn| {
                let Some(info) = blobs::info(txn, id)? else {
                    return Ok(None);
                };
                let Some(range) = crate::mailstore::covering_chunks(&info, start, end) else {
                    return Ok(Some((info, Vec::new(), 0)));
                };
                let (data, bytes) = blobs::chunks(txn, id, range)?;
                Ok(Some((info, data, bytes)))
            })
            .await?;
        Ok(read.map(|(info, data, bytes)| {
            self.stats.add_content_read(bytes);
            (info, data)
        }))
    }

    async fn blob_ref(&self, id: BlobId) -> StoreResult<()> {
        self.write(true, move |t, _| blobs::add_ref(t, id, 1)).await
    }

    async fn blob_unref(&self, id: BlobId) -> StoreResult<()> {
        self.write(true, move |t, _| blobs::add_ref(t, id, -1))
            .await
    }

    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.write(true, move |t, _| {
            blobs::sweep(t, created_before, journal_before)
        })
        .await
    }
}
