//! Running work in MongoDB transactions, with the retry rules, and the query helpers that work
//! inside a session.
//!
//! Retry rule (MongoDB's documented one): if any operation or the commit fails with the
//! `TransientTransactionError` label (a write conflict with a concurrent transaction, a primary
//! step-down, a dropped connection before commit), the transaction was aborted as a whole and is
//! run again from the start, after a short random backoff. If the commit fails with
//! `UnknownTransactionCommitResult`, the commit itself is retried (it is idempotent). Both stop
//! after the configured retry budget; the caller then gets `Unavailable`. Closures passed to
//! [`MongoStore::txn`] may therefore run several times and must not have side effects outside the
//! session; events are collected in [`Tx::events`] and published only after the commit.

use super::MongoStore;
use super::error::{DbError, DbResult, to_store};
use super::schema::Colls;
use crate::error::StoreResult;
use crate::rules::unix_now;
use eider_model::StoreEvent;
use eider_model::types::UnixTime;
use futures::TryStreamExt;
use futures::future::BoxFuture;
use mongodb::action::Action;
use mongodb::bson::Document;
use mongodb::{ClientSession, Collection};
use rand::Rng;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// One unit of work: a session (in a transaction for writes), the collections, the transaction's
/// clock, and the events to publish once it commits.
pub struct Tx {
    pub s: ClientSession,
    pub c: Colls,
    pub now: UnixTime,
    pub events: Vec<StoreEvent>,
}

impl Tx {
    /// Queues a wake-up event; one per (mailbox, modseq) is enough, the journal has the details.
    pub fn event(&mut self, event: StoreEvent) {
        if self.events.last() != Some(&event) {
            self.events.push(event);
        }
    }
}

pub type TxFn<'a, T> = BoxFuture<'a, DbResult<T>>;

impl MongoStore {
    /// Runs `f` in a transaction (snapshot reads, the configured write concern), retrying it as
    /// described in the module doc, then publishes its events.
    pub(super) async fn txn<C, T, F>(&self, ctx: C, mut f: F) -> StoreResult<T>
    where
        C: Send + Sync,
        T: Send,
        F: for<'a> FnMut(&'a mut Tx, &'a C) -> TxFn<'a, T> + Send,
    {
        let start = Instant::now();
        let mut tx = self.session().await?;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            tx.now = unix_now();
            tx.events.clear();
            tx.s.start_transaction()
                .with_options(self.txn_options.clone())
                .await
                .map_err(to_store)?;
            let outcome = match f(&mut tx, &ctx).await {
                Ok(v) => self.commit(&mut tx, start).await.map(|()| v),
                Err(e) if e.is_unreachable() => {
                    // No server to abort on: dropping the session ends the transaction.
                    Err(e)
                }
                Err(e) => {
                    // The server may have aborted already (transient errors); nothing to report.
                    let _ = tx.s.abort_transaction().await;
                    Err(e)
                }
            };
            match outcome {
                Ok(v) => {
                    self.stats.commits.fetch_add(1, Ordering::Relaxed);
                    for ev in tx.events.drain(..) {
                        // No subscriber is not an error.
                        let _ = self.events.send(ev);
                    }
                    return Ok(v);
                }
                Err(e) if e.is_transient() && start.elapsed() < self.options.retry_budget => {
                    backoff(attempt).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn commit(&self, tx: &mut Tx, start: Instant) -> DbResult<()> {
        loop {
            match tx.s.commit_transaction().await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    let e = DbError::Db(e);
                    if e.is_unknown_commit() && start.elapsed() < self.options.retry_budget {
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Runs `f` in a plain (causally consistent) session without a transaction: for reads.
    pub(super) async fn read<C, T, F>(&self, ctx: C, f: F) -> StoreResult<T>
    where
        C: Send + Sync,
        T: Send,
        F: for<'a> FnOnce(&'a mut Tx, &'a C) -> TxFn<'a, T> + Send,
    {
        let mut tx = self.session().await?;
        Ok(f(&mut tx, &ctx).await?)
    }

    async fn session(&self) -> StoreResult<Tx> {
        let s = self.client.start_session().await.map_err(to_store)?;
        Ok(Tx {
            s,
            c: self.c.clone(),
            now: unix_now(),
            events: Vec::new(),
        })
    }
}

/// Sleeps a random 1..2^min(attempt, 7) ms, so conflicting transactions spread out.
async fn backoff(attempt: u32) {
    let cap = 1u64 << attempt.min(7);
    let ms = rand::thread_rng().gen_range(1..=cap);
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

// ---- query helpers ----------------------------------------------------------------------------

pub async fn find_one(
    s: &mut ClientSession,
    coll: &Collection<Document>,
    filter: Document,
) -> DbResult<Option<Document>> {
    Ok(coll.find_one(filter).session(&mut *s).await?)
}

/// All documents matching `filter`, sorted by `sort`, with an optional projection.
pub async fn find_all(
    s: &mut ClientSession,
    coll: &Collection<Document>,
    filter: Document,
    sort: Option<Document>,
    projection: Option<Document>,
) -> DbResult<Vec<Document>> {
    let mut cursor = coll
        .find(filter)
        .optional(sort, |a, v| a.sort(v))
        .optional(projection, |a, v| a.projection(v))
        .session(&mut *s)
        .await?;
    Ok(cursor.stream(&mut *s).try_collect().await?)
}
