//! The store side of a POP3 session: login, the INBOX snapshot, and the UPDATE state.
//!
//! Invariants:
//! - The snapshot is the newest `max_messages` INBOX messages at login, oldest first, each with
//!   its stored size (the exact octets RETR sends) and its UIDL ([`crate::proto::uidl`]).
//! - The snapshot keeps each message's segments, so RETR reads content without another record
//!   lookup. Whether a message still exists is re-checked (one listing) only after the store
//!   announced a change to INBOX since the last check; the subscription is taken before the
//!   snapshot, so no change can slip between them.
//! - At most `PREFETCH_DEPTH` first windows of upcoming messages are read ahead per session;
//!   they are dropped with the session, and never served for a message found to be gone.
//! - UPDATE makes at most two store calls, each atomic: `\Seen` on every retrieved message, then
//!   one expunge or one move to Trash of every DELE-marked message. Messages another session
//!   (IMAP) removed meanwhile are skipped by the store, not treated as errors.

use crate::Shared;
use crate::proto::reply::Reply;
use crate::proto::session::{LoginFailure, Message};
use crate::proto::uidl;
use crate::store_error::{self, Op};
use eider_model::types::{MailboxId, Uid};
use eider_model::{FlagOp, Flags, Segment, SpecialUse, StoreEvent, SystemFlags, User};
use eider_runtime::config::Pop3DeleteAction;
use eider_runtime::counters::Lease;
use eider_store::MailStore;
use eider_store::StoreError;
use eider_store::StoreResult;
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::TryRecvError};
use tokio::task::JoinHandle;

/// The first window of a message a client that fetches in order will ask for soon, read while
/// the current one is on the wire (hides the store round trips of a RETR).
#[derive(Debug)]
struct Prefetch {
    uid: Uid,
    task: JoinHandle<StoreResult<Vec<u8>>>,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A logged-in user and their held maildrop.
#[derive(Debug)]
pub struct Maildrop {
    pub user: User,
    pub inbox: MailboxId,
    /// Content of the snapshot's messages, ascending by UID.
    content: Vec<(Uid, Vec<Segment>)>,
    /// Snapshot messages another session removed since login.
    gone: HashSet<Uid>,
    events: broadcast::Receiver<StoreEvent>,
    /// Up to [`PREFETCH_DEPTH`] reads of the next messages, in snapshot order.
    prefetch: VecDeque<Prefetch>,
    /// The maildrop lock (`limits::lock_maildrop`), released when the session ends.
    _lock: Lease,
}

impl Maildrop {
    /// The prefetched first window of `uid`, if it was prefetched. Prefetches of messages before
    /// it are dropped (the client skipped them).
    pub async fn take_prefetch(&mut self, uid: Uid) -> Option<StoreResult<Vec<u8>>> {
        while self.prefetch.front().is_some_and(|p| p.uid < uid) {
            self.prefetch.pop_front();
        }
        let mut p = self.prefetch.pop_front()?;
        if p.uid != uid {
            // The client went backwards: keep the later prefetches for when it comes back.
            self.prefetch.push_front(p);
            return None;
        }
        Some(match (&mut p.task).await {
            Ok(r) => r,
            Err(e) => Err(StoreError::Internal(format!("prefetch task: {e}"))),
        })
    }

    /// Keeps reads of the first `window` bytes of the next [`PREFETCH_DEPTH`] snapshot messages
    /// after `uid` in flight.
    pub fn prefetch_after(&mut self, store: Arc<dyn MailStore>, uid: Uid, window: u64) {
        let Ok(i) = self.content.binary_search_by_key(&uid, |(u, _)| *u) else {
            return;
        };
        let mut last = self.prefetch.back().map_or(uid, |p| p.uid.max(uid));
        for (next, segments) in self.content[i + 1..].iter().take(PREFETCH_DEPTH) {
            if self.prefetch.len() >= PREFETCH_DEPTH {
                break;
            }
            if *next <= last || self.gone.contains(next) {
                continue;
            }
            let (store, segments) = (store.clone(), segments.clone());
            self.prefetch.push_back(Prefetch {
                uid: *next,
                task: tokio::spawn(async move {
                    eider_store::content::read_range(store.as_ref(), &segments, 0, window).await
                }),
            });
            last = *next;
        }
    }

    /// The segments of snapshot message `uid`, or `None` if it is no longer in INBOX.
    pub async fn content(
        &mut self,
        store: &dyn MailStore,
        uid: Uid,
    ) -> StoreResult<Option<&[Segment]>> {
        if self.inbox_changed() {
            let present: HashSet<Uid> = store
                .list_messages(self.inbox, Uid(1)..=Uid(u32::MAX))
                .await?
                .into_iter()
                .map(|m| m.uid)
                .collect();
            self.gone.extend(
                self.content
                    .iter()
                    .map(|(u, _)| *u)
                    .filter(|u| !present.contains(u)),
            );
        }
        if self.gone.contains(&uid) {
            return Ok(None);
        }
        Ok(self
            .content
            .binary_search_by_key(&uid, |(u, _)| *u)
            .ok()
            .map(|i| self.content[i].1.as_slice()))
    }

    /// Drains the store's events; true if any may concern INBOX.
    fn inbox_changed(&mut self) -> bool {
        let mut changed = false;
        loop {
            match self.events.try_recv() {
                Ok(ev) => changed |= ev.mailbox == self.inbox,
                Err(TryRecvError::Empty) => return changed,
                // Missed events: assume the worst.
                Err(TryRecvError::Lagged(_)) => changed = true,
                Err(TryRecvError::Closed) => return true,
            }
        }
    }
}

/// Messages read ahead of a client that fetches in order: at most this many first windows
/// (each at most one RETR window) are held per connection.
const PREFETCH_DEPTH: usize = 4;

/// Full records are read in batches of this many UIDs, so a login never holds more than a batch
/// of message metadata at once.
const BATCH: usize = 256;

/// Verifies the credentials, takes the maildrop lock and snapshots INBOX.
pub async fn login(
    shared: &Shared,
    username: &str,
    password: String,
) -> Result<(Maildrop, Vec<Message>), LoginFailure> {
    let store = &shared.ctx.store;
    let user = store.find_user(username).await.map_err(refused)?;
    // Off the async workers, and as slow for unknown and disabled users as for real ones.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = eider_runtime::credentials::check(password, hash).await;
    let user = user
        .filter(|u| ok && !u.disabled)
        .ok_or(LoginFailure::Credentials)?;
    let lock = crate::limits::lock_maildrop(&shared.ctx.counters, user.id)
        .await
        .ok_or(LoginFailure::InUse)?;
    let inbox = store
        .find_mailbox(user.id, "INBOX")
        .await
        .map_err(refused)?
        .ok_or_else(|| refused(StoreError::NotFound(format!("INBOX of user {}", user.id))))?;
    let events = store.subscribe();
    let (messages, content) = snapshot(shared, inbox.id).await.map_err(refused)?;
    Ok((
        Maildrop {
            user,
            inbox: inbox.id,
            content,
            gone: HashSet::new(),
            events,
            prefetch: VecDeque::new(),
            _lock: lock,
        },
        messages,
    ))
}

fn refused(e: StoreError) -> LoginFailure {
    LoginFailure::Store(store_error::refuse(Op::Login, &e))
}

/// What a snapshot holds for the session and for the driver.
type Snapshot = (Vec<Message>, Vec<(Uid, Vec<Segment>)>);

/// The newest `max_messages` messages of `inbox`, oldest first, with their content.
async fn snapshot(shared: &Shared, inbox: MailboxId) -> StoreResult<Snapshot> {
    let store = &shared.ctx.store;
    let mut summaries = store.list_messages(inbox, Uid(1)..=Uid(u32::MAX)).await?;
    let max = shared.ctx.config.pop3.max_messages as usize;
    if max > 0 && summaries.len() > max {
        summaries.drain(..summaries.len() - max);
    }
    let mut out = Vec::with_capacity(summaries.len());
    let mut content = Vec::with_capacity(summaries.len());
    let mut hashes = Vec::with_capacity(summaries.len());
    for batch in summaries.chunks(BATCH) {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            continue;
        };
        let full = store.get_messages(inbox, first.uid..=last.uid).await?;
        // A message expunged between the two reads drops out of the snapshot.
        for m in full {
            if batch
                .binary_search_by_key(&m.summary.uid, |s| s.uid)
                .is_ok()
            {
                hashes.push(m.sha256);
                content.push((m.summary.uid, m.segments));
                out.push(Message {
                    uid: m.summary.uid,
                    size: m.summary.size,
                    uidl: String::new(),
                });
            }
        }
    }
    for (m, id) in out.iter_mut().zip(uidl::assign(&hashes)) {
        m.uidl = id;
    }
    Ok((out, content))
}

/// The UPDATE state (RFC 1939 §6). `Err` carries the answer to QUIT when a store call failed
/// (nothing of that call took effect).
pub async fn commit(
    shared: &Shared,
    drop: &Maildrop,
    delete: &[Uid],
    seen: &[Uid],
) -> Result<(), Reply> {
    let store = &shared.ctx.store;
    if !seen.is_empty() {
        let flags = Flags {
            system: SystemFlags(SystemFlags::SEEN),
            ..Flags::default()
        };
        store
            .set_flags(drop.inbox, seen, FlagOp::Add, &flags, None)
            .await
            .map_err(|e| store_error::refuse(Op::MarkSeen, &e))?;
    }
    if delete.is_empty() {
        return Ok(());
    }
    let result = match trash(shared, drop).await {
        Ok(Some(trash)) => store
            .move_messages(drop.inbox, delete, trash)
            .await
            .map(|_| ()),
        Ok(None) => store
            .expunge(drop.inbox, Some(delete), false)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    result.map_err(|e| store_error::refuse(Op::Remove, &e))
}

/// Where DELE sends messages: the user's `\Trash` mailbox when configured so and present.
async fn trash(shared: &Shared, drop: &Maildrop) -> StoreResult<Option<MailboxId>> {
    if shared.ctx.config.pop3.delete_action != Pop3DeleteAction::Trash {
        return Ok(None);
    }
    let boxes = shared.ctx.store.list_mailboxes(drop.user.id).await?;
    Ok(boxes
        .iter()
        .find(|b| b.special_use == Some(SpecialUse::Trash))
        .map(|b| b.id))
}
