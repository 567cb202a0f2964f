//! The state of `MemStore` and the bookkeeping every write shares (UID/MODSEQ allocation,
//! journaling, counters, blob references). Callers work on a copy and keep it only on success.

use eider_model::types::*;
use eider_model::*;
use eider_store::error::{StoreError, StoreResult};
use std::collections::{BTreeMap, BTreeSet};
use unicode_normalization::UnicodeNormalization;

#[derive(Default)]
pub struct State {
    pub next_id: u64,
    pub users: BTreeMap<UserId, User>,
    pub names: BTreeMap<String, UserId>,
    pub addresses: BTreeMap<String, Address>,
    pub aliases: BTreeMap<String, String>,
    pub boxes: BTreeMap<MailboxId, Mailbox>,
    pub msgs: BTreeMap<(MailboxId, Uid), StoredMessage>,
    pub journal: BTreeMap<MailboxId, Vec<JournalEntry>>,
    pub blobs: BTreeMap<BlobId, (BlobInfo, Vec<Vec<u8>>)>,
    pub uploads: BTreeMap<UploadId, (UnixTime, BTreeMap<u32, Vec<u8>>)>,
    pub events: Vec<StoreEvent>,
    pub threads: BTreeMap<(UserId, String), ThreadId>,
}

pub fn now() -> UnixTime {
    chrono::Utc::now().timestamp()
}

pub fn fold(name: &str) -> String {
    name.nfc().collect::<String>().to_lowercase()
}

pub fn nf(what: impl std::fmt::Display) -> StoreError {
    StoreError::NotFound(what.to_string())
}

pub fn msg_blobs(m: &StoredMessage) -> BTreeSet<BlobId> {
    let mut out: BTreeSet<BlobId> = m
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob { blob, .. } => Some(*blob),
            Segment::Inline(_) => None,
        })
        .collect();
    out.extend(m.meta.text_blob);
    out
}

impl State {
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn mb(&self, id: MailboxId) -> StoreResult<&Mailbox> {
        self.boxes
            .get(&id)
            .ok_or_else(|| nf(format!("mailbox {id}")))
    }

    /// Allocates the next modseq of a mailbox and journals `change` under it.
    pub fn journal(&mut self, mb: MailboxId, change: Change) -> ModSeq {
        let m = self.boxes.get_mut(&mb).expect("mailbox");
        m.highest_modseq = ModSeq(m.highest_modseq.0 + 1);
        let modseq = m.highest_modseq;
        let user = m.user;
        self.journal.entry(mb).or_default().push(JournalEntry {
            mailbox: mb,
            modseq,
            at: now(),
            change,
        });
        self.events.push(StoreEvent {
            user,
            mailbox: mb,
            modseq,
        });
        modseq
    }

    pub fn new_mailbox(
        &mut self,
        user: UserId,
        path: &str,
        su: Option<SpecialUse>,
    ) -> StoreResult<Mailbox> {
        if path.is_empty() {
            return Err(StoreError::Invalid("empty path".into()));
        }
        let path = if path.eq_ignore_ascii_case("INBOX") {
            "INBOX".to_string()
        } else {
            path.to_string()
        };
        if self
            .boxes
            .values()
            .any(|m| m.user == user && m.path == path)
        {
            return Err(StoreError::AlreadyExists(path));
        }
        let id = MailboxId(self.id());
        let m = Mailbox {
            id,
            user,
            path: path.clone(),
            special_use: su,
            uid_validity: UidValidity(id.0 as u32),
            uid_next: Uid(1),
            highest_modseq: ModSeq(1),
            subscribed: false,
            retention_days: None,
            messages: 0,
            unseen: 0,
            size: 0,
        };
        self.boxes.insert(id, m.clone());
        self.journal.insert(
            id,
            vec![JournalEntry {
                mailbox: id,
                modseq: ModSeq(1),
                at: now(),
                change: Change::MailboxCreated { path },
            }],
        );
        Ok(m)
    }

    pub fn unref(&mut self, blobs: BTreeSet<BlobId>) {
        for b in blobs {
            if let Some(x) = self.blobs.get_mut(&b) {
                x.0.refs -= 1;
            }
        }
    }

    pub fn remove_msg(&mut self, mb: MailboxId, uid: Uid) {
        let m = self.msgs.remove(&(mb, uid)).expect("message");
        self.unref(msg_blobs(&m));
        let b = self.boxes.get_mut(&mb).expect("mailbox");
        b.messages -= 1;
        b.size -= m.summary.size;
        if !m.summary.flags.seen() {
            b.unseen -= 1;
        }
        let user = b.user;
        self.users.get_mut(&user).expect("user").bytes_used -= m.summary.size;
        self.journal(mb, Change::Expunged { uid });
    }

    pub fn insert_msg(&mut self, mb: MailboxId, mut m: StoredMessage) -> (Uid, ModSeq) {
        let b = self.boxes.get_mut(&mb).expect("mailbox");
        let uid = b.uid_next;
        b.uid_next = Uid(uid.0 + 1);
        b.messages += 1;
        b.size += m.summary.size;
        if !m.summary.flags.seen() {
            b.unseen += 1;
        }
        let user = b.user;
        self.users.get_mut(&user).expect("user").bytes_used += m.summary.size;
        for blob in msg_blobs(&m) {
            self.blobs.get_mut(&blob).expect("blob").0.refs += 1;
        }
        let modseq = self.journal(
            mb,
            Change::Added {
                uid,
                flags: m.summary.flags.clone(),
            },
        );
        m.mailbox = mb;
        m.summary.uid = uid;
        m.summary.modseq = modseq;
        self.msgs.insert((mb, uid), m);
        (uid, modseq)
    }

    pub fn fits(&self, user: UserId, extra: u64) -> StoreResult<()> {
        let u = &self.users[&user];
        if u.quota != 0 && u.bytes_used + extra > u.quota {
            return Err(StoreError::OverQuota);
        }
        Ok(())
    }

    pub fn copy(
        &mut self,
        from: MailboxId,
        uids: &[Uid],
        to: MailboxId,
        is_move: bool,
    ) -> StoreResult<Copied> {
        let (src, dst) = (self.mb(from)?.clone(), self.mb(to)?.clone());
        if src.user != dst.user {
            return Err(StoreError::NotAllowed("copy across users".into()));
        }
        let set: BTreeSet<Uid> = uids.iter().copied().collect();
        let picked: Vec<StoredMessage> = set
            .iter()
            .filter_map(|u| self.msgs.get(&(from, *u)).cloned())
            .collect();
        if !is_move {
            self.fits(src.user, picked.iter().map(|m| m.summary.size).sum())?;
        }
        let mut mapping = Vec::new();
        for m in picked {
            let old = m.summary.uid;
            let (uid, _) = self.insert_msg(to, m);
            mapping.push((old, uid));
        }
        if is_move {
            for (old, _) in &mapping {
                self.remove_msg(from, *old);
            }
        }
        Ok(Copied {
            uid_validity: dst.uid_validity,
            mapping,
        })
    }
}

pub fn clone_state(s: &State) -> State {
    State {
        next_id: s.next_id,
        users: s.users.clone(),
        names: s.names.clone(),
        addresses: s.addresses.clone(),
        aliases: s.aliases.clone(),
        boxes: s.boxes.clone(),
        msgs: s.msgs.clone(),
        journal: s.journal.clone(),
        blobs: s.blobs.clone(),
        uploads: s.uploads.clone(),
        events: Vec::new(),
        threads: s.threads.clone(),
    }
}

pub fn apply_flags(op: FlagOp, cur: &Flags, given: &Flags) -> Flags {
    match op {
        FlagOp::Replace => given.clone(),
        FlagOp::Add => Flags {
            system: SystemFlags(cur.system.0 | given.system.0),
            keywords: cur.keywords.union(&given.keywords).cloned().collect(),
        },
        FlagOp::Remove => Flags {
            system: SystemFlags(cur.system.0 & !given.system.0),
            keywords: cur.keywords.difference(&given.keywords).cloned().collect(),
        },
    }
}
