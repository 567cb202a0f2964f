//! In-process queueing of writes per user, in front of the transactions.
//!
//! Appends, flag changes, expunges, copies and moves of one user all write that user's
//! documents (the mailbox counter document, the usage in the user document). Run concurrently they
//! conflict, and MongoDB aborts all but one transaction, which then retry with backoff: correct,
//! but under a burst most of the work is thrown away. Within one process such writes therefore
//! wait for each other on one of [`STRIPES`] async mutexes chosen by user id; writes from other
//! processes still conflict and retry, so correctness never depends on this queue.
//!
//! The owner of a mailbox never changes and ids are never reused, so the mailbox → user map is
//! cached (and simply cleared when it grows past [`MAX_CACHED`]).

use super::MongoStore;
use super::codec::{get_u64, n};
use super::error::to_store;
use crate::error::StoreResult;
use eider_model::types::{MailboxId, UserId};
use mongodb::bson::doc;
use std::collections::HashMap;
use tokio::sync::{Mutex, MutexGuard};

pub const STRIPES: usize = 64;
const MAX_CACHED: usize = 100_000;

#[derive(Debug)]
pub struct LocalQueue {
    stripes: Vec<Mutex<()>>,
    owners: std::sync::Mutex<HashMap<MailboxId, UserId>>,
}

impl LocalQueue {
    pub fn new() -> Self {
        Self {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
            owners: std::sync::Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, mailbox: MailboxId) -> Option<UserId> {
        self.owners.lock().ok()?.get(&mailbox).copied()
    }

    fn remember(&self, mailbox: MailboxId, user: UserId) {
        if let Ok(mut map) = self.owners.lock() {
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            map.insert(mailbox, user);
        }
    }
}

impl MongoStore {
    /// The owner of `mailbox`, if it exists.
    async fn owner(&self, mailbox: MailboxId) -> StoreResult<Option<UserId>> {
        if let Some(user) = self.local.cached(mailbox) {
            return Ok(Some(user));
        }
        let found = self
            .c
            .mailboxes
            .find_one(doc! {"_id": n(mailbox.0)})
            .projection(doc! {"user": 1})
            .await
            .map_err(to_store)?;
        let Some(d) = found else {
            return Ok(None);
        };
        let user = UserId(get_u64(&d, "user")?);
        self.local.remember(mailbox, user);
        Ok(Some(user))
    }

    /// Waits for this process's other writes to the owner of `mailbox` (none if it does not
    /// exist: the transaction will then report `NotFound`).
    pub(super) async fn queue_for(
        &self,
        mailbox: MailboxId,
    ) -> StoreResult<Option<MutexGuard<'_, ()>>> {
        let Some(user) = self.owner(mailbox).await? else {
            return Ok(None);
        };
        let stripe = (user.0 % STRIPES as u64) as usize;
        Ok(Some(self.local.stripes[stripe].lock().await))
    }
}
