//! `MemStore`: a deliberately simple in-memory `MailStore` (one mutex over plain maps), used as a
//! reference implementation to check that the conformance suite itself is right. Not durable,
//! not fast; every method is one critical section, so each call is trivially atomic.

mod state;

use async_trait::async_trait;
use eider_common::error::{StoreError, StoreResult};
use eider_common::model::*;
use eider_common::store::{MailStore, StoreStats};
use eider_common::types::*;
use state::{State, apply_flags, clone_state, fold, msg_blobs, nf, now};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;
use std::sync::Mutex;
use tokio::sync::broadcast;
use unicode_normalization::UnicodeNormalization;

/// Records and outbox: outside `State`, since they never take part in mail transactions.
#[derive(Default)]
struct Side {
    /// key → (value, expires).
    records: BTreeMap<String, (Vec<u8>, Option<UnixTime>)>,
    /// id → (entry, expires, lease end in ms; `None` once done).
    outbox: BTreeMap<u64, (OutboxEntry, UnixTime, Option<i64>)>,
    next_outbox: u64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

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
            eider_common::junk::outbox_entry(&src, &dst, &copied.mapping, at)
        {
            let mut side = self.side.lock().expect("lock");
            side.next_outbox += 1;
            let id = side.next_outbox;
            let entry = OutboxEntry {
                id,
                at,
                claims: 0,
                payload,
            };
            side.outbox.insert(id, (entry, expires, Some(0)));
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
        self.with(|s| {
            let mb = s.mb(mailbox)?.clone();
            s.fits(mb.user, msg.size)?;
            for b in msg.blobs() {
                if !s.blobs.contains_key(&b) {
                    return Err(StoreError::MissingBlob(b));
                }
            }
            // Own id first (a reply may have named it), then the ids it names; all are recorded.
            let linked: Vec<String> = msg
                .meta
                .message_id
                .iter()
                .chain(&msg.meta.in_reply_to)
                .chain(&msg.meta.references)
                .cloned()
                .collect();
            let found = linked
                .iter()
                .find_map(|id| s.threads.get(&(mb.user, id.clone())).copied());
            let thread = match found {
                Some(t) => t,
                None => ThreadId(s.id()),
            };
            for id in linked {
                s.threads.entry((mb.user, id)).or_insert(thread);
            }
            let stored = StoredMessage {
                mailbox,
                summary: MessageSummary {
                    uid: Uid(0),
                    modseq: ModSeq(0),
                    flags: msg.flags,
                    internal_date: msg.internal_date,
                    internal_tz_minutes: msg.internal_tz_minutes,
                    size: msg.size,
                    thread,
                },
                segments: msg.segments,
                sha256: msg.sha256,
                meta: msg.meta,
            };
            let (uid, modseq) = s.insert_msg(mailbox, stored);
            Ok(Appended {
                mailbox,
                uid_validity: mb.uid_validity,
                uid,
                modseq,
            })
        })
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
        self.with(|s| {
            s.mb(mailbox)?;
            let mut out = FlagsChanged::default();
            let mut todo = Vec::new();
            for uid in uids.iter().copied().collect::<BTreeSet<_>>() {
                let Some(m) = s.msgs.get(&(mailbox, uid)) else {
                    continue;
                };
                if since.is_some_and(|ms| m.summary.modseq > ms) {
                    out.modified.push(uid);
                    continue;
                }
                let new = apply_flags(op, &m.summary.flags, flags);
                if new != m.summary.flags {
                    todo.push((uid, new));
                }
            }
            if todo.is_empty() {
                return Ok(out);
            }
            let b = s.boxes.get_mut(&mailbox).expect("box");
            b.highest_modseq = ModSeq(b.highest_modseq.0 + 1);
            let modseq = b.highest_modseq;
            let user = b.user;
            for (uid, new) in todo {
                let m = s.msgs.get_mut(&(mailbox, uid)).expect("msg");
                let b = s.boxes.get_mut(&mailbox).expect("box");
                match (m.summary.flags.seen(), new.seen()) {
                    (true, false) => b.unseen += 1,
                    (false, true) => b.unseen -= 1,
                    _ => {}
                }
                m.summary.flags = new.clone();
                m.summary.modseq = modseq;
                s.journal.entry(mailbox).or_default().push(JournalEntry {
                    mailbox,
                    modseq,
                    at: now(),
                    change: Change::FlagsChanged {
                        uid,
                        flags: new.clone(),
                    },
                });
                out.changed.push((uid, modseq, new));
            }
            s.events.push(StoreEvent {
                user,
                mailbox,
                modseq,
            });
            Ok(out)
        })
    }
    async fn expunge(
        &self,
        mailbox: MailboxId,
        uids: Option<&[Uid]>,
        only_deleted: bool,
    ) -> StoreResult<Vec<Uid>> {
        self.with(|s| {
            s.mb(mailbox)?;
            let gone: Vec<Uid> = s
                .msgs
                .range((mailbox, Uid(0))..=(mailbox, Uid(u32::MAX)))
                .filter(|(k, m)| {
                    uids.is_none_or(|l| l.contains(&k.1))
                        && (!only_deleted || m.summary.flags.deleted())
                })
                .map(|(k, _)| k.1)
                .collect();
            for uid in &gone {
                s.remove_msg(mailbox, *uid);
            }
            Ok(gone)
        })
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
        let mut side = self.side.lock().expect("lock");
        side.records.insert(key.to_string(), (value, expires));
        Ok(())
    }
    async fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let side = self.side.lock().expect("lock");
        let now = now();
        Ok(side
            .records
            .get(key)
            .filter(|(_, e)| e.is_none_or(|e| e > now))
            .map(|(v, _)| v.clone()))
    }
    async fn record_delete(&self, key: &str) -> StoreResult<bool> {
        let mut side = self.side.lock().expect("lock");
        let now = now();
        Ok(side
            .records
            .remove(key)
            .is_some_and(|(_, e)| e.is_none_or(|e| e > now)))
    }
    async fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let side = self.side.lock().expect("lock");
        let now = now();
        Ok(side
            .records
            .iter()
            .filter(|(k, (_, e))| {
                k.starts_with(prefix)
                    && after.is_none_or(|a| k.as_str() > a)
                    && e.is_none_or(|e| e > now)
            })
            .take(limit)
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect())
    }
    async fn record_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        let mut side = self.side.lock().expect("lock");
        let before = side.records.len();
        side.records.retain(|k, _| !k.starts_with(prefix));
        Ok((before - side.records.len()) as u64)
    }
    async fn outbox_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        let mut side = self.side.lock().expect("lock");
        side.next_outbox += 1;
        let id = side.next_outbox;
        let entry = OutboxEntry {
            id,
            at: now(),
            claims: 0,
            payload,
        };
        side.outbox.insert(id, (entry, expires, Some(0)));
        Ok(id)
    }
    async fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let side = self.side.lock().expect("lock");
        let now = now();
        Ok(side
            .outbox
            .range(after.saturating_add(1)..)
            .filter(|(_, (_, e, _))| *e > now)
            .take(limit)
            .map(|(_, (entry, _, _))| entry.clone())
            .collect())
    }
    async fn outbox_claim(
        &self,
        lease: std::time::Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let mut side = self.side.lock().expect("lock");
        let (now, ms) = (now(), now_ms());
        let until = ms + i64::try_from(lease.as_millis()).expect("lease");
        let mut out = Vec::new();
        for (entry, expires, lease) in side.outbox.values_mut() {
            if out.len() >= limit {
                break;
            }
            if *expires > now && lease.is_some_and(|l| l <= ms) {
                *lease = Some(until);
                entry.claims += 1;
                out.push(entry.clone());
            }
        }
        Ok(out)
    }
    async fn outbox_done(&self, id: u64) -> StoreResult<()> {
        let mut side = self.side.lock().expect("lock");
        if let Some((_, _, lease)) = side.outbox.get_mut(&id) {
            *lease = None;
        }
        Ok(())
    }
    fn subscribe(&self) -> broadcast::Receiver<StoreEvent> {
        self.tx.subscribe()
    }
    fn stats(&self) -> &StoreStats {
        &self.stats
    }
    async fn blob_begin(&self) -> StoreResult<UploadId> {
        self.with(|s| {
            let id = UploadId(s.id());
            s.uploads.insert(id, (now(), BTreeMap::new()));
            Ok(id)
        })
    }
    async fn blob_put_chunk(&self, upload: UploadId, index: u32, data: Vec<u8>) -> StoreResult<()> {
        self.with(|s| {
            s.uploads
                .get_mut(&upload)
                .ok_or_else(|| nf("upload"))?
                .1
                .insert(index, data);
            Ok(())
        })
    }
    async fn blob_commit(
        &self,
        upload: UploadId,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: u32,
    ) -> StoreResult<bool> {
        self.with(|s| {
            let (_, staged) = s.uploads.remove(&upload).ok_or_else(|| nf("upload"))?;
            if s.blobs.contains_key(&id) {
                return Ok(true);
            }
            let expected = (chunk_size > 0)
                .then(|| u32::try_from(size.div_ceil(u64::from(chunk_size))).ok())
                .flatten();
            if expected != Some(chunks) || staged.len() != chunks as usize {
                return Err(StoreError::Invalid(format!(
                    "{size} bytes in chunks of {chunk_size}: {chunks} named, {} staged",
                    staged.len()
                )));
            }
            let data: Vec<Vec<u8>> = (0..chunks)
                .map(|i| {
                    staged
                        .get(&i)
                        .cloned()
                        .ok_or_else(|| StoreError::Invalid(format!("chunk {i} missing")))
                })
                .collect::<StoreResult<_>>()?;
            s.blobs.insert(
                id,
                (
                    BlobInfo {
                        id,
                        size,
                        chunk_size,
                        refs: 0,
                        created: now(),
                    },
                    data,
                ),
            );
            Ok(false)
        })
    }
    async fn blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.with(|s| {
            s.uploads
                .remove(&upload)
                .map(|_| ())
                .ok_or_else(|| nf("upload"))
        })
    }
    async fn blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.with(|s| Ok(s.blobs.get(&id).map(|b| b.0)))
    }
    async fn list_blobs(&self, after: Option<BlobId>, limit: usize) -> StoreResult<Vec<BlobInfo>> {
        self.with(|s| {
            Ok(s.blobs
                .values()
                .filter(|b| after.is_none_or(|a| b.0.id > a))
                .take(limit)
                .map(|b| b.0)
                .collect())
        })
    }
    async fn blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let out: Vec<Vec<u8>> = self.with(|s| {
            let b = s.blobs.get(&id).ok_or(StoreError::MissingBlob(id))?;
            Ok(chunks
                .filter_map(|i| b.1.get(i as usize).cloned())
                .collect())
        })?;
        self.stats
            .add_content_read(out.iter().map(|c| c.len() as u64).sum());
        Ok(out)
    }
    async fn blob_ref(&self, id: BlobId) -> StoreResult<()> {
        self.with(|s| {
            s.blobs
                .get_mut(&id)
                .map(|b| b.0.refs += 1)
                .ok_or(StoreError::MissingBlob(id))
        })
    }
    async fn blob_unref(&self, id: BlobId) -> StoreResult<()> {
        self.with(|s| {
            s.blobs
                .get_mut(&id)
                .map(|b| b.0.refs = b.0.refs.saturating_sub(1))
                .ok_or(StoreError::MissingBlob(id))
        })
    }
    async fn sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.with(|s| {
            let mut st = SweepStats::default();
            let dead: Vec<BlobId> = s
                .blobs
                .values()
                .filter(|b| b.0.refs == 0 && b.0.created < created_before)
                .map(|b| b.0.id)
                .collect();
            for id in dead {
                let (_, chunks) = s.blobs.remove(&id).expect("blob");
                st.blobs += 1;
                st.chunks += chunks.len() as u64;
            }
            let before = s.uploads.len();
            s.uploads.retain(|_, u| u.0 >= created_before);
            st.uploads = (before - s.uploads.len()) as u64;
            for j in s.journal.values_mut() {
                let n = j.len();
                j.retain(|e| e.at >= journal_before);
                st.journal_entries += (n - j.len()) as u64;
            }
            Ok(st)
        })
    }
}
