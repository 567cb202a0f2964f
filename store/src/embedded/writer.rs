//! The single writer thread and its group commit.
//!
//! Every write of the embedded store is a [`Job`] sent over a channel to one std thread. The
//! thread takes all jobs queued at that moment (up to `max_batch`), applies them in order in one
//! redb write transaction, commits once (one fsync for the whole batch), then answers each caller
//! and publishes their events. Concurrent deliveries therefore share an fsync.
//!
//! Atomicity per job: if a job fails, the transaction is aborted, that job alone is answered with
//! its error, and the batch is re-applied without it from a fresh transaction. Jobs are therefore
//! closures that may run more than once; only the run that gets committed is answered.
//!
//! Durability: a batch commits with `Durability::Immediate` unless every job in it opted out
//! (staging chunks of an upload); a later immediate commit makes earlier ones durable too.

use super::tables::Tables;
use crate::error::{StoreError, StoreResult};
use crate::mailstore::StoreStats;
use eider_model::StoreEvent;
use eider_model::types::UnixTime;
use redb::{Database, Durability};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, TryRecvError};
use tokio::sync::{broadcast, oneshot};

/// What a job sees besides the tables: the commit's clock and where to put its events.
pub struct Ctx {
    pub now: UnixTime,
    pub events: Vec<StoreEvent>,
}

impl Ctx {
    pub fn event(&mut self, event: StoreEvent) {
        self.events.push(event);
    }
}

/// One queued write.
pub trait Job: Send {
    fn durable(&self) -> bool;
    /// Applies the job; on `Err` the caller aborts the transaction.
    fn apply(&mut self, tables: &mut Tables<'_>, now: UnixTime) -> StoreResult<()>;
    fn reject(self: Box<Self>, err: StoreError);
    /// Called after the commit: publishes the events and answers the caller.
    fn complete(self: Box<Self>, events: &broadcast::Sender<StoreEvent>);
}

type JobFn<T> = dyn FnMut(&mut Tables<'_>, &mut Ctx) -> StoreResult<T> + Send;

/// A [`Job`] made of a closure and the oneshot its result goes to.
pub struct FnJob<T> {
    f: Box<JobFn<T>>,
    durable: bool,
    out: Option<(T, Vec<StoreEvent>)>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T: Send + 'static> FnJob<T> {
    pub fn boxed(
        durable: bool,
        f: Box<JobFn<T>>,
    ) -> (Box<dyn Job>, oneshot::Receiver<StoreResult<T>>) {
        let (reply, rx) = oneshot::channel();
        let job = FnJob {
            f,
            durable,
            out: None,
            reply,
        };
        (Box::new(job), rx)
    }
}

impl<T: Send + 'static> Job for FnJob<T> {
    fn durable(&self) -> bool {
        self.durable
    }

    fn apply(&mut self, tables: &mut Tables<'_>, now: UnixTime) -> StoreResult<()> {
        let mut ctx = Ctx {
            now,
            events: Vec::new(),
        };
        let value = (self.f)(tables, &mut ctx)?;
        self.out = Some((value, ctx.events));
        Ok(())
    }

    fn reject(self: Box<Self>, err: StoreError) {
        // The caller may have gone away (cancelled future); nothing to do then.
        let _ = self.reply.send(Err(err));
    }

    fn complete(self: Box<Self>, events: &broadcast::Sender<StoreEvent>) {
        let Some((value, evs)) = self.out else {
            let _ = self.reply.send(Err(StoreError::Internal(
                "job completed without a result".into(),
            )));
            return;
        };
        for ev in evs {
            // No subscribers is not an error.
            let _ = events.send(ev);
        }
        let _ = self.reply.send(Ok(value));
    }
}

/// Shared state the writer thread needs.
pub struct WriterShared {
    pub db: Arc<Database>,
    pub stats: Arc<StoreStats>,
    pub events: broadcast::Sender<StoreEvent>,
    pub max_batch: usize,
}

/// The writer thread's loop: returns when every sender is gone.
pub fn run(shared: WriterShared, rx: Receiver<Box<dyn Job>>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < shared.max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        // A panic (a bug) must not kill the only writer: the transaction in flight is dropped
        // (aborted), its callers get an error from their dropped reply channels, and the thread
        // goes on serving.
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| run_batch(&shared, batch)));
        if outcome.is_err() {
            tracing::error!("store writer panicked; the batch in flight was aborted");
        }
    }
}

fn run_batch(shared: &WriterShared, mut batch: Vec<Box<dyn Job>>) {
    loop {
        if batch.is_empty() {
            return;
        }
        match attempt(shared, &mut batch) {
            Ok(None) => {
                for job in batch {
                    job.complete(&shared.events);
                }
                return;
            }
            Ok(Some((index, err))) => {
                // Drop the failing job and re-apply the rest from scratch.
                batch.remove(index).reject(err);
            }
            Err(err) => {
                tracing::error!(error = %err, "store write transaction failed");
                for job in batch {
                    job.reject(StoreError::Internal(err.to_string()));
                }
                return;
            }
        }
    }
}

/// Applies the batch in one transaction. `Ok(Some((i, e)))`: job `i` failed and nothing was
/// committed; `Ok(None)`: committed; `Err`: the transaction itself failed.
fn attempt(
    shared: &WriterShared,
    batch: &mut [Box<dyn Job>],
) -> StoreResult<Option<(usize, StoreError)>> {
    let mut txn = shared.db.begin_write()?;
    let durable = batch.iter().any(|j| j.durable());
    txn.set_durability(if durable {
        Durability::Immediate
    } else {
        Durability::None
    })?;
    let now = super::unix_now();
    let failed = {
        let mut tables = Tables::open(&txn)?;
        batch
            .iter_mut()
            .enumerate()
            .find_map(|(i, job)| job.apply(&mut tables, now).err().map(|e| (i, e)))
    };
    if let Some(f) = failed {
        txn.abort()?;
        return Ok(Some(f));
    }
    txn.commit()?;
    shared.stats.commits.fetch_add(1, Ordering::Relaxed);
    Ok(None)
}
