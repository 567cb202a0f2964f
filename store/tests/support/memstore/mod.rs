//! `MemStore`: a deliberately simple in-memory `MailStore` (one mutex over plain maps), used as a
//! reference implementation to check that the conformance suite itself is right. Not durable,
//! not fast; every method is one critical section, so each call is trivially atomic.

mod blobs;
mod messages;
mod side;
mod state;

use async_trait::async_trait;
use eider_model::types::*;
use eider_model::*;
use eider_store::error::{StoreError, StoreResult};
use eider_store::mailstore::{MailStore, StoreStats};
use side::Side;
use state::{State, clone_state, fold, msg_blobs, nf, now};
use std::ops::RangeInclusive;
use std::sync::Mutex;
use tokio::sync::broadcast;
use unicode_normalization::UnicodeNormalization;

pub struct MemStore {
    side: Mutex<Side>,
    state: Mutex<State>,
    tx: broadcast::Sender<StoreEvent>,
    stats: StoreStats,
}

impl MemStore {
    pub fn new() -> Self {
        Self {
            side: Mutex::new(Side::default()),
            state: Mutex::new(State::default()),
            tx: broadcast::channel(4096).0,
            stats: StoreStats::default(),
        }
    }

    /// Records a copy's junk signal in the outbox, after the copy (the reference store does not
    /// need both in one critical section: its callers are tests).
    fn junk_signal(&self, ends: (Option<Mailbox>, Option<Mailbox>), copied: &Copied) {
        let (Some(src), Some(dst)) = ends else {
            return;
        };
        let at = now();
        if let Some((payload, expires)) =
            eider_store::junk::outbox_entry(&src, &dst, &copied.mapping, at)
        {
            let mut side = self.side.lock().expect("lock");
            side.outbox_insert(at, payload, expires);
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> StoreResult<T>) -> StoreResult<T> {
        let mut st = self.state.lock().expect("lock");
        // Work on a copy so that a failing call changes nothing.
        let mut work = clone_state(&st);
        let res = f(&mut work);
        if res.is_ok() {
            for ev in work.events.drain(..) {
                let _ = self.tx.send(ev);
            }
            *st = work;
        }
        res
    }
}

#[async_trait]
impl MailStore for MemStore {
    async fn create_user(&self, new: NewUser) -> StoreResult<User> {
        self.with(|s| {
            let key = fold(&new.username);
            if s.names.contains_key(&key) {
                return Err(StoreError::AlreadyExists(new.username.clone()));
            }
            let id = UserId(s.id());
            let user = User {
                id,
                username: new.username.nfc().collect(),
                password_hash: new.password_hash,
                quota: new.quota,
                bytes_used: 0,
                disabled: false,
                limits: new.limits,
                spam_level: new.spam_level,
                created: now(),
                filters: Vec::new(),
            };
            s.names.insert(key, id);
            s.users.insert(id, user.clone());
            for (path, su) in DEFAULT_MAILBOXES {
                s.new_mailbox(id, path, *su)?;
            }
            Ok(user)
        })
    }
    async fn get_user(&self, id: UserId) -> StoreResult<Option<User>> {
        self.with(|s| Ok(s.users.get(&id).cloned()))
    }
    async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        self.with(|s| Ok(s.names.get(&fold(username)).map(|id| s.users[id].clone())))
    }
    async fn list_users(&self, after: Option<UserId>, limit: usize) -> StoreResult<Vec<User>> {
        self.with(|s| {
            Ok(s.users
                .values()
                .filter(|u| after.is_none_or(|a| u.id > a))
                .take(limit)
                .cloned()
                .collect())
        })
    }
    async fn update_user(&self, id: UserId, up: UserUpdate) -> StoreResult<User> {
        self.with(|s| {
            let u = s.users.get_mut(&id).ok_or_else(|| nf(id))?;
            if let Some(v) = up.password_hash {
                u.password_hash = v
            }
            if let Some(v) = up.quota {
                u.quota = v
            }
            if let Some(v) = up.disabled {
                u.disabled = v
            }
            if let Some(v) = up.limits {
                u.limits = v
            }
            if let Some(f) = up.filters {
                u.filters = f;
            }
            if let Some(v) = up.spam_level {
                u.spam_level = v
            }
            Ok(u.clone())
        })
    }
    async fn delete_user(&self, id: UserId) -> StoreResult<()> {
        self.with(|s| {
            let u = s.users.remove(&id).ok_or_else(|| nf(id))?;
            s.names.remove(&fold(&u.username));
            s.addresses.retain(|_, a| a.user != id);
            let boxes: Vec<MailboxId> = s
                .boxes
                .values()
                .filter(|m| m.user == id)
                .map(|m| m.id)
                .collect();
            for mb in boxes {
                let keys: Vec<_> = s
                    .msgs
                    .range((mb, Uid(0))..=(mb, Uid(u32::MAX)))
                    .map(|(k, _)| *k)
                    .collect();
                for k in keys {
                    let m = s.msgs.remove(&k).expect("msg");
                    s.unref(msg_blobs(&m));
                }
                s.boxes.remove(&mb);
                s.journal.remove(&mb);
            }
            Ok(())
        })
    }
    async fn add_address(
        &self,
        user: UserId,
        address: &str,
        display: &str,
    ) -> StoreResult<Address> {
        self.with(|s| {
            if !s.users.contains_key(&user) {
                return Err(nf(user));
            }
            if s.addresses.contains_key(address) {
                return Err(StoreError::AlreadyExists(address.into()));
            }
            let a = Address {
                address: address.into(),
                user,
                display: display.into(),
            };
            s.addresses.insert(address.into(), a.clone());
            Ok(a)
        })
    }
    async fn list_addresses(&self, user: UserId) -> StoreResult<Vec<Address>> {
        self.with(|s| {
            Ok(s.addresses
                .values()
                .filter(|a| a.user == user)
                .cloned()
                .collect())
        })
    }
    async fn delete_address(&self, address: &str) -> StoreResult<()> {
        self.with(|s| {
            s.addresses
                .remove(address)
                .map(|_| ())
                .ok_or_else(|| nf(address))
        })
    }
    async fn lookup_address(&self, address: &str) -> StoreResult<Option<UserId>> {
        self.with(|s| Ok(s.addresses.get(address).map(|a| a.user)))
    }
    async fn add_domain_alias(&self, alias: &str, target: &str) -> StoreResult<()> {
        self.with(|s| {
            if s.aliases.contains_key(alias) {
                return Err(StoreError::AlreadyExists(alias.into()));
            }
            s.aliases.insert(alias.into(), target.into());
            Ok(())
        })
    }
    async fn delete_domain_alias(&self, alias: &str) -> StoreResult<()> {
        self.with(|s| s.aliases.remove(alias).map(|_| ()).ok_or_else(|| nf(alias)))
    }
    async fn lookup_domain_alias(&self, alias: &str) -> StoreResult<Option<String>> {
        self.with(|s| Ok(s.aliases.get(alias).cloned()))
    }
    async fn create_mailbox(
        &self,
        user: UserId,
        path: &str,
        su: Option<SpecialUse>,
    ) -> StoreResult<Mailbox> {
        self.with(|s| {
            if !s.users.contains_key(&user) {
                return Err(nf(user));
            }
            s.new_mailbox(user, path, su)
        })
    }
    async fn list_mailboxes(&self, user: UserId) -> StoreResult<Vec<Mailbox>> {
        self.with(|s| {
            let mut v: Vec<Mailbox> = s
                .boxes
                .values()
                .filter(|m| m.user == user)
                .cloned()
                .collect();
            v.sort_by(|a, b| a.path.cmp(&b.path));
            Ok(v)
        })
    }
    async fn find_mailbox(&self, user: UserId, path: &str) -> StoreResult<Option<Mailbox>> {
        let path = if path.eq_ignore_ascii_case("INBOX") {
            "INBOX"
        } else {
            path
        };
        self.with(|s| {
            Ok(s.boxes
                .values()
                .find(|m| m.user == user && m.path == path)
                .cloned())
        })
    }
    async fn get_mailbox(&self, id: MailboxId) -> StoreResult<Option<Mailbox>> {
        self.with(|s| Ok(s.boxes.get(&id).cloned()))
    }
    async fn rename_mailbox(&self, id: MailboxId, new_path: &str) -> StoreResult<()> {
        self.with(|s| {
            let m = s.mb(id)?.clone();
            if m.path == "INBOX" {
                return Err(StoreError::NotAllowed("rename INBOX".into()));
            }
            if new_path.is_empty() {
                return Err(StoreError::Invalid("empty path".into()));
            }
            let prefix = format!("{}/", m.path);
            if new_path.starts_with(&prefix) {
                return Err(StoreError::NotAllowed("rename below itself".into()));
            }
            let mut moving: Vec<(MailboxId, String, String)> = s
                .boxes
                .values()
                .filter(|b| b.user == m.user && (b.id == id || b.path.starts_with(&prefix)))
                .map(|b| {
                    (
                        b.id,
                        b.path.clone(),
                        format!("{new_path}{}", &b.path[m.path.len()..]),
                    )
                })
                .collect();
            for (_, _, to) in &mut moving {
                if to.eq_ignore_ascii_case("INBOX") {
                    *to = "INBOX".into();
                }
                if s.boxes.values().any(|b| b.user == m.user && &b.path == to) {
                    return Err(StoreError::AlreadyExists(to.clone()));
                }
            }
            for (bid, from, to) in moving {
                s.boxes.get_mut(&bid).expect("box").path = to.clone();
                s.journal(bid, Change::MailboxRenamed { from, to });
            }
            Ok(())
        })
    }
    async fn delete_mailbox(&self, id: MailboxId) -> StoreResult<()> {
        self.with(|s| {
            let m = s.mb(id)?.clone();
            if m.path == "INBOX" {
                return Err(StoreError::NotAllowed("delete INBOX".into()));
            }
            let uids: Vec<Uid> = s
                .msgs
                .range((id, Uid(0))..=(id, Uid(u32::MAX)))
                .map(|(k, _)| k.1)
                .collect();
            for uid in uids {
                s.remove_msg(id, uid);
            }
            s.journal(id, Change::MailboxDeleted { path: m.path });
            s.boxes.remove(&id);
            Ok(())
        })
    }
    async fn set_subscribed(&self, id: MailboxId, v: bool) -> StoreResult<()> {
        self.with(|s| {
            s.boxes
                .get_mut(&id)
                .map(|m| m.subscribed = v)
                .ok_or_else(|| nf(id))
        })
    }
    async fn set_special_use(&self, id: MailboxId, v: Option<SpecialUse>) -> StoreResult<()> {
        self.with(|s| {
            s.boxes
                .get_mut(&id)
                .map(|m| m.special_use = v)
                .ok_or_else(|| nf(id))
        })
    }
    async fn set_retention(&self, id: MailboxId, v: Option<u32>) -> StoreResult<()> {
        self.with(|s| {
            s.boxes
                .get_mut(&id)
                .map(|m| m.retention_days = v)
                .ok_or_else(|| nf(id))
        })
    }
    async fn append(&self, mailbox: MailboxId, msg: NewMessage) -> StoreResult<Appended> {
        self.mem_append(mailbox, msg)
    }
    async fn list_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<MessageSummary>> {
        Ok(self
            .get_messages(mailbox, uids)
            .await?
            .into_iter()
            .map(|m| m.summary)
            .collect())
    }
    async fn get_message(
        &self,
        mailbox: MailboxId,
        uid: Uid,
    ) -> StoreResult<Option<StoredMessage>> {
        self.with(|s| Ok(s.msgs.get(&(mailbox, uid)).cloned()))
    }
    async fn get_messages(
        &self,
        mailbox: MailboxId,
        uids: RangeInclusive<Uid>,
    ) -> StoreResult<Vec<StoredMessage>> {
        self.with(|s| {
            s.mb(mailbox)?;
            if uids.start() > uids.end() {
                return Ok(Vec::new());
            }
            Ok(s.msgs
                .range((mailbox, *uids.start())..=(mailbox, *uids.end()))
                .map(|(_, m)| m.clone())
                .collect())
        })
    }
    async fn set_flags(
        &self,
        mailbox: MailboxId,
        uids: &[Uid],
        op: FlagOp,
        flags: &Flags,
        since: Option<ModSeq>,
    ) -> StoreResult<FlagsChanged> {
        self.mem_set_flags(mailbox, uids, op, flags, since)
    }
    async fn expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>> {
        self.mem_expunge(mailbox, uids, only_deleted)
    }
    async fn copy_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        let ends = (self.get_mailbox(from).await?, self.get_mailbox(to).await?);
        let copied = self.with(|s| s.copy(from, uids, to, false))?;
        self.junk_signal(ends, &copied);
        Ok(copied)
    }
    async fn move_messages(
        &self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
    ) -> StoreResult<Copied> {
        let ends = (self.get_mailbox(from).await?, self.get_mailbox(to).await?);
        let copied = self.with(|s| s.copy(from, uids, to, true))?;
        self.junk_signal(ends, &copied);
        Ok(copied)
    }
    async fn changes_since(
        &self,
        mailbox: MailboxId,
        since: ModSeq,
    ) -> StoreResult<Vec<JournalEntry>> {
        self.with(|s| {
            Ok(s.journal
                .get(&mailbox)
                .map(|j| j.iter().filter(|e| e.modseq > since).cloned().collect())
                .unwrap_or_default())
        })
    }
    async fn quota(&self, user: UserId) -> StoreResult<Quota> {
        self.with(|s| {
            s.users
                .get(&user)
                .map(|u| Quota {
                    limit: u.quota,
                    used: u.bytes_used,
                })
                .ok_or_else(|| nf(user))
        })
    }
    async fn record_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        self.side
            .lock()
            .expect("lock")
            .record_put(key, value, expires)
    }
    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        self.side.lock().expect("lock").record_get(key)
    }
    async fn record_delete(&self, key: &str) -> StoreResult<bool> {
        self.side.lock().expect("lock").record_delete(key)
    }
    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        self.side
            .lock()
            .expect("lock")
            .record_list(prefix, after, limit)
    }
    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        self.side.lock().expect("lock").record_delete_prefix(prefix)
    }
    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        self.side
            .lock()
            .expect("lock")
            .outbox_push(payload, expires)
    }
    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        self.side.lock().expect("lock").outbox_after(after, limit)
    }
    async fn outbox_claim(
        &self,
        lease: std::time::Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        self.side.lock().expect("lock").outbox_claim(lease, limit)
    }
    async fn outbox_done(&self, id: u64) -> StoreResult<()> {
        self.side.lock().expect("lock").outbox_done(id)
    }
    fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.tx.subscribe()
    }
    fn stats(&self) -> &StoreStats {
        &self.stats
    }
    async fn blob_begin(&self) -> StoreResult<UploadId> {
        self.mem_blob_begin()
    }
    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()> {
        self.mem_blob_put_chunk(upload, index, data)
    }
    async fn blob_commit(
        &self,
        upload: UploadId,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: u32,
    ) -> StoreResult<bool> {
        self.mem_blob_commit(upload, id, size, chunk_size, chunks)
    }
    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.mem_blob_abort(upload)
    }
    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.mem_blob_info(id)
    }
    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>> {
        self.mem_list_blobs(after, limit)
    }
    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        self.mem_blob_chunks(id, chunks)
    }
    async fn blob_ref(&self, id: BlobId) -> StoreResult<()> {
        self.mem_blob_ref(id)
    }
    async fn blob_unref(&self, id: BlobId) -> StoreResult<()> {
        self.mem_blob_unref(id)
    }
    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.mem_sweep(created_before, journal_before)
    }
}
