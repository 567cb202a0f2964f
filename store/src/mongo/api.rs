//! `impl MailStore for MongoStore`: each method is one transaction ([`MongoStore::txn`]) or one
//! read session ([`MongoStore::read`]); the logic lives in the sibling modules. Ids that come
//! from global counters are allocated before the transaction starts (see [`MongoStore::allocate`]).

use super::blobs::{self, Commit};
use super::users::NewUserPlan;
use super::{MongoStore, flags, journal, mailboxes, messages, users};
use crate::error::{StoreError, StoreResult};
use crate::mailstore::{MailStore, StoreStats};
use async_trait::async_trait;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid, UidValidity, UnixTime, UploadId, UserId};
use eider_model::{
    Address, Appended, BlobInfo, Copied, DEFAULT_MAILBOXES, FlagOp, Flags, FlagsChanged,
    JournalEntry, Mailbox, MessageSummary, NewMessage, NewUser, OutboxEntry, Quota, SpecialUse,
    StoreEvent, StoredMessage, SweepStats, User, UserUpdate,
};
use mongodb::bson::doc;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::codec::{retention_bson, special_use_bson};

#[async_trait]
impl MailStore for MongoStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        let count = DEFAULT_MAILBOXES.len() as u64;
        let plan = NewUserPlan {
            new,
            id: self.allocate("user", 1).await?,
            first_mailbox: self.allocate("mailbox", count).await?,
            first_uid_validity: self.allocate_uid_validity(count).await?,
        };
        self.txn(plan, |tx, p| Box::pin(users::create(tx, p))).await
    }

    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.read((), move |tx, _| Box::pin(users::get(tx, id)))
            .await
    }

    async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        self.read(username.to_string(), |tx, u| Box::pin(users::find(tx, u)))
            .await
    }

    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        self.read((), move |tx, _| Box::pin(users::list(tx, after, limit)))
            .await
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> StoreResult<User> {
        self.txn(update, move |tx, u| Box::pin(users::update(tx, id, u)))
            .await
    }

    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.txn((), move |tx, _| Box::pin(users::delete(tx, id)))
            .await
    }

    async fn add_address(
        &self,
        user: UserId,
        address: &str,
        display: &str,
    ) -> StoreResult<Address> {
        let ctx = (address.to_string(), display.to_string());
        self.txn(ctx, move |tx, (a, d)| {
            Box::pin(users::add_address(tx, user, a, d))
        })
        .await
    }

    async fn list_addresses(&self, user: UserId) -> StoreResult<Vec<Address>> {
        self.read((), move |tx, _| Box::pin(users::list_addresses(tx, user)))
            .await
    }

    async fn delete_address(&self, address: &str) -> StoreResult<()> {
        self.txn(address.to_string(), |tx, a| {
            Box::pin(users::delete_address(tx, a))
        })
        .await
    }

    async fn lookup_address(&self, address: &str) -> StoreResult<Option<UserId>> {
        self.read(address.to_string(), |tx, a| {
            Box::pin(users::lookup_address(tx, a))
        })
        .await
    }

    async fn add_domain_alias(&self, alias: &str, target: &str) -> StoreResult<()> {
        let ctx = (alias.to_string(), target.to_string());
        self.txn(ctx, |tx, (a, t)| {
            Box::pin(users::add_domain_alias(tx, a, t))
        })
        .await
    }

    async fn delete_domain_alias(&self, alias: &str) -> StoreResult<()> {
        self.txn(alias.to_string(), |tx, a| {
            Box::pin(users::delete_domain_alias(tx, a))
        })
        .await
    }

    async fn lookup_domain_alias(&self, alias: &str) -> StoreResult<Option<String>> {
        self.read(alias.to_string(), |tx, a| {
            Box::pin(users::lookup_domain_alias(tx, a))
        })
        .await
    }

    async fn create_mailbox(
        &self,
        user: UserId,
        path: &str,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<Mailbox> {
        // Refuse a bad name before spending ids on it.
        crate::rules::normalize_path(path)?;
        let id = MailboxId(self.allocate("mailbox", 1).await?);
        let uv = UidValidity(self.allocate_uid_validity(1).await?);
        self.txn(path.to_string(), move |tx, p| {
            Box::pin(mailboxes::insert(tx, user, p, special_use, id, uv))
        })
        .await
    }

    async fn list_mailboxes(&self, user: UserId) -> StoreResult<Vec<Mailbox>> {
        self.read((), move |tx, _| Box::pin(mailboxes::list(tx, user)))
            .await
    }

    async fn find_mailbox(&self, user: UserId, path: &str) -> StoreResult<Option<Mailbox>> {
        self.read(path.to_string(), move |tx, p| {
            Box::pin(mailboxes::find(tx, user, p))
        })
        .await
    }

    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>> {
        self.read((), move |tx, _| Box::pin(mailboxes::get(tx, id)))
            .await
    }

    async fn rename_mailbox(&self, id: MailboxId, new_path: &str) -> StoreResult<()> {
        self.txn(new_path.to_string(), move |tx, p| {
            Box::pin(mailboxes::rename(tx, id, p))
        })
        .await
    }

    async fn delete_mailbox(&self, id: MailboxId) -> StoreResult<()> {
        self.txn((), move |tx, _| Box::pin(mailboxes::delete(tx, id)))
            .await
    }

    async fn set_subscribed(&self, id: MailboxId, subscribed: bool) -> StoreResult<()> {
        let set = doc! {"subscribed": subscribed};
        self.txn(set, move |tx, s| {
            Box::pin(mailboxes::set_fields(tx, id, s.clone()))
        })
        .await
    }

    async fn set_special_use(
        &self,
        id: MailboxId,
        special_use: Option<SpecialUse>,
    ) -> StoreResult<()> {
        let set = doc! {"special_use": special_use_bson(special_use)};
        self.txn(set, move |tx, s| {
            Box::pin(mailboxes::set_fields(tx, id, s.clone()))
        })
        .await
    }

    async fn set_retention(&self, id: MailboxId, days: Option<u32>) -> StoreResult<()> {
        let set = doc! {"retention_days": retention_bson(days)};
        self.txn(set, move |tx, s| {
            Box::pin(mailboxes::set_fields(tx, id, s.clone()))
        })
        .await
    }

    async fn append(&self, mailbox: MailboxId, message: NewMessage) -> StoreResult<Appended> {
        let _queued = self.queue_for(mailbox).await?;
        self.txn(message, move |tx, m| {
            Box::pin(messages::append(tx, mailbox, m))
        })
        .await
    }

    async fn list_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<MessageSummary>> {
        self.read(uids, move |tx, r| {
            Box::pin(messages::list(tx, mailbox, r.clone()))
        })
        .await
    }

    async fn get_message(
        &self,
        mailbox: MailboxId,
        uid: Uid,
    ) -> StoreResult<Option<StoredMessage>> {
        Ok(self.get_messages(mailbox, uid..=uid).await?.pop())
    }

    async fn get_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<StoredMessage>> {
        self.read(uids, move |tx, r| {
            Box::pin(messages::get_many(tx, mailbox, r.clone()))
        })
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
        let mut uids = uids.to_vec();
        uids.sort_unstable();
        uids.dedup();
        let _queued = self.queue_for(mailbox).await?;
        self.txn((uids, flags.clone()), move |tx, (u, f)| {
            Box::pin(flags::set_flags(tx, mailbox, u, op, f, unchanged_since))
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
        let _queued = self.queue_for(mailbox).await?;
        self.txn(uids, move |tx, u| {
            Box::pin(messages::expunge(tx, mailbox, u.as_deref(), only_deleted))
        })
        .await
    }

    async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        // Both mailboxes must belong to one user (else NotAllowed): queue on the source's.
        let _queued = self.queue_for(from).await?;
        self.txn(uids.to_vec(), move |tx, u| {
            Box::pin(messages::copy(tx, from, u, to, false))
        })
        .await
    }

    async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        // Both mailboxes must belong to one user (else NotAllowed): queue on the source's.
        let _queued = self.queue_for(from).await?;
        self.txn(uids.to_vec(), move |tx, u| {
            Box::pin(messages::copy(tx, from, u, to, true))
        })
        .await
    }

    async fn changes_since(
        &self,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.read((), move |tx, _| {
            Box::pin(async move {
                mailboxes::require(tx, mailbox).await?;
                journal::changes_since(tx, mailbox, since).await
            })
        })
        .await
    }

    async fn quota(&self, user: UserId) -> StoreResult<Quota> {
        let u = self
            .get_user(user)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user}")))?;
        Ok(Quota {
            limit: u.quota,
            used: u.bytes_used,
        })
    }

    async fn record_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        self.rec_put(key, value, expires).await
    }

    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.rec_get(key).await
    }

    async fn record_delete(&self, key: &str) -> StoreResult<bool> {
        self.rec_delete(key).await
    }

    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        self.rec_list(prefix, after, limit).await
    }

    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        self.rec_delete_prefix(prefix).await
    }

    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        self.out_push(payload, expires).await
    }

    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.out_after(after, limit).await
    }

    async fn outbox_claim(&self, lease: Duration, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.out_claim(lease, limit).await
    }

    async fn outbox_done(&self, id: u64) -> StoreResult<()> {
        self.out_done(id).await
    }

    fn subscribe(&self) -> tokio::sync::broadcast::Receiver<StoreEvent> {
        self.events.subscribe()
    }

    fn stats(&self) -> &StoreStats {
        &self.stats
    }

    async fn blob_begin(&self) -> StoreResult<UploadId> {
        // Random ids: no counter document on the ingest path. A collision (about 2^-63 per
        // pair) is an insert error; another draw fixes it.
        let opened = crate::rules::unix_now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            let id = super::threads::random_id();
            let insert = self
                .c
                .uploads
                .insert_one(doc! {"_id": super::codec::n(id), "opened": opened})
                .await;
            match insert {
                Ok(_) => return Ok(UploadId(id)),
                Err(e) if super::error::is_duplicate_key(&e) && attempts < 5 => {}
                Err(e) => return Err(super::error::to_store(e)),
            }
        }
    }

    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()> {
        self.txn(data, move |tx, d| {
            Box::pin(blobs::put_chunk(tx, upload, index, d))
        })
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
        let commit = Commit {
            upload,
            id,
            size,
            chunk_size,
            chunks,
        };
        self.txn(commit, |tx, c| Box::pin(blobs::commit(tx, c)))
            .await
    }

    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.txn((), move |tx, _| Box::pin(blobs::abort(tx, upload)))
            .await
    }

    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.read((), move |tx, _| Box::pin(blobs::info(tx, id)))
            .await
    }

    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>> {
        self.read((), move |tx, _| Box::pin(blobs::list(tx, after, limit)))
            .await
    }

    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let (data, bytes) = self
            .read(chunks, move |tx, r| {
                Box::pin(blobs::chunks(tx, id, r.clone()))
            })
            .await?;
        self.stats.add_content_read(bytes);
        Ok(data)
    }

    async fn blob_ref(&self, id: BlobId) -> StoreResult<()> {
        let delta = std::collections::BTreeMap::from([(id, 1i64)]);
        self.txn(delta, |tx, d| Box::pin(blobs::add_refs(tx, d)))
            .await
    }

    async fn blob_unref(&self, id: BlobId) -> StoreResult<()> {
        let delta = std::collections::BTreeMap::from([(id, -1i64)]);
        self.txn(delta, |tx, d| Box::pin(blobs::add_refs(tx, d)))
            .await
    }

    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.sweep_all(created_before, journal_before).await
    }
}
