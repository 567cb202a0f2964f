//! The embedded backend: [`EmbeddedStore`], a [`crate::MailStore`] over one redb file.
//!
//! Layout of the data directory: `eider.redb` (all tables, see [`tables`]) and `eider.lock`
//! (the single-process lock, see [`lock`]). Writes go through one writer thread with group commit
//! ([`writer`]); reads run in redb read transactions (MVCC snapshots) on tokio's blocking pool.
//! `docs/storage.md` describes the data model and the rules.

mod api;
mod blobs;
mod flags;
mod journal;
mod lock;
mod mailboxes;
mod messages;
mod records;
mod stats;
mod stats_blobs;
mod tables;
mod threads;
mod users;
mod writer;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_crash;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests_more;

pub(crate) use crate::rules::unix_now;
pub use lock::LOCK_FILE;
pub use stats::{BodyBreakdown, DbStats, TableUsage};
pub use stats_blobs::{BlobRoles, RoleUsage};

use crate::error::{StoreError, StoreResult};
use crate::mailstore::StoreStats;
use eider_model::StoreEvent;
use redb::{Database, ReadTransaction, ReadableDatabase};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use tables::Tables;
use tokio::sync::broadcast;
use writer::{Ctx, FnJob, Job, WriterShared};

/// The database file inside the data directory.
pub const DB_FILE: &str = "eider.redb";

/// Tuning knobs of the embedded store.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// redb page cache in bytes.
    pub cache_size: usize,
    /// Most writes committed together in one transaction.
    pub max_batch: usize,
    /// Capacity of the event broadcast channel (slow subscribers see `Lagged`).
    pub event_capacity: usize,
}

impl Default for EmbeddedOptions {
    fn default() -> Self {
        Self {
            cache_size: 64 * 1024 * 1024,
            max_batch: 256,
            event_capacity: 4096,
        }
    }
}

/// The embedded mail store. Cheap to share behind an `Arc`; dropping it stops the writer thread
/// (after the batch in flight) and releases the directory lock.
pub struct EmbeddedStore {
    db: Arc<Database>,
    stats: Arc<StoreStats>,
    events: broadcast::Sender<StoreEvent>,
    sender: Option<mpsc::Sender<Box<dyn Job>>>,
    writer: Option<JoinHandle<()>>,
    dir: PathBuf,
    _lock: lock::DirLock,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `dir`. Blocking; fails at once if another process
    /// (or another handle) holds the directory.
    pub fn open(dir: &Path, options: EmbeddedOptions) -> StoreResult<Self> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Unavailable(format!("creating data directory {}: {e}", dir.display()))
        })?;
        let lock = lock::DirLock::acquire(dir)?;
        let db = Database::builder()
            .set_cache_size(options.cache_size)
            .create(dir.join(DB_FILE))?;
        let txn = db.begin_write()?;
        tables::create_all(&txn)?;
        txn.commit()?;
        let db = Arc::new(db);
        let stats = Arc::new(StoreStats::default());
        let (events, _) = broadcast::channel(options.event_capacity.max(1));
        let (sender, rx) = mpsc::channel();
        let shared = WriterShared {
            db: db.clone(),
            stats: stats.clone(),
            events: events.clone(),
            max_batch: options.max_batch.max(1),
        };
        let writer = std::thread::Builder::new()
            .name("eider-store-writer".into())
            .spawn(move || writer::run(shared, rx))
            .map_err(|e| StoreError::Internal(format!("spawning the writer thread: {e}")))?;
        Ok(Self {
            db,
            stats,
            events,
            sender: Some(sender),
            writer: Some(writer),
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Queues a write for the writer thread and waits for its commit.
    async fn write<T, F>(&self, durable: bool, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&mut Tables<'_>, &mut Ctx) -> StoreResult<T> + Send + 'static,
    {
        let (job, rx) = FnJob::boxed(durable, Box::new(f));
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| StoreError::Unavailable("store is closing".into()))?;
        sender
            .send(job)
            .map_err(|_| StoreError::Unavailable("store writer has stopped".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("store writer dropped the request".into()))?
    }

    /// Runs `f` in a read transaction on the blocking pool.
    async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&ReadTransaction) -> StoreResult<T> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read()?;
            f(&txn)
        })
        .await
        .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }
}

impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        // Closing the channel ends the writer loop; joining it makes sure the database (and then
        // the lock) is released before a reopen can race with it.
        self.sender.take();
        if let Some(handle) = self.writer.take() {
            let _ = handle.join();
        }
    }
}
