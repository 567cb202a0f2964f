//! The MongoDB backend: [`MongoStore`], a [`crate::MailStore`] over the official `mongodb`
//! driver, for several processes sharing one database (scale-out).
//!
//! Schema, indexes, shard keys and the rules below are described in `docs/storage.md`
//! ("MongoDB backend"). In short:
//! - every trait method that writes runs in one multi-document transaction ([`txn`]) with
//!   snapshot reads and the configured write concern (`w: majority` by default), retried on
//!   `TransientTransactionError` / `UnknownTransactionCommitResult`;
//! - UID and MODSEQ come from a per-mailbox counter document (`mailbox_counters`) updated with
//!   `findOneAndUpdate` + `$inc` inside that transaction, so concurrent appends never share a UID
//!   and commit in allocation order;
//! - reads go to the primary with read concern `majority`, so a read that follows an
//!   acknowledged write (from any process) sees it;
//! - an unreachable server gives `StoreError::Unavailable` after the server selection timeout;
//!   the driver reconnects by itself.
//!
//! TLS: the driver is built with rustls over ring, the workspace's one crypto provider (enable it
//! with `tls=true` in the URL; the tests use plain TCP). `mongodb+srv://` URLs need this crate's
//! `mongodb-srv` feature.

mod api;
mod blobs;
mod codec;
mod error;
mod flags;
mod journal;
mod local;
mod mailboxes;
mod messages;
mod records;
mod schema;
mod sweep;
mod threads;
mod txn;
mod users;

use crate::error::{StoreError, StoreResult};
use crate::mailstore::StoreStats;
use eider_model::StoreEvent;
use error::{DbResult, to_store};
use mongodb::bson::{Document, doc};
use mongodb::options::{
    Acknowledgment, ClientOptions, ReadConcern, ReadPreference, ReturnDocument, SelectionCriteria,
    TransactionOptions, WriteConcern,
};
use mongodb::{Client, Database};
use schema::Colls;
use std::time::Duration;
use tokio::sync::broadcast;

/// Tuning knobs of the MongoDB store (`[mongodb]` in the configuration).
#[derive(Clone, Debug)]
pub struct MongoOptions {
    /// How long an operation waits for a reachable server before failing with `Unavailable`.
    pub server_selection_timeout: Duration,
    /// TCP connect timeout per attempt.
    pub connect_timeout: Duration,
    /// Connections per server (the driver's default of 10 is too few for a busy daemon).
    pub max_pool_size: u32,
    /// Write concern of every transaction: `majority`, a number of nodes, or a tag set name.
    pub write_concern: String,
    /// Age after which the server's TTL monitor removes journal entries.
    pub journal_ttl: Duration,
    /// How long a conflicting transaction is retried before `Unavailable` is returned.
    pub retry_budget: Duration,
    /// Capacity of the event broadcast channel (slow subscribers see `Lagged`).
    pub event_capacity: usize,
}

impl Default for MongoOptions {
    fn default() -> Self {
        Self {
            server_selection_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(3),
            max_pool_size: 64,
            write_concern: "majority".into(),
            journal_ttl: Duration::from_secs(30 * 86_400),
            retry_budget: Duration::from_secs(30),
            event_capacity: 4096,
        }
    }
}

/// The MongoDB mail store. Cheap to share behind an `Arc`; the driver pools connections.
pub struct MongoStore {
    client: Client,
    database: String,
    c: Colls,
    options: MongoOptions,
    txn_options: TransactionOptions,
    stats: StoreStats,
    events: broadcast::Sender<StoreEvent>,
    local: local::LocalQueue,
}

impl std::fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoStore")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

fn write_concern(spec: &str) -> WriteConcern {
    let w = match spec.trim() {
        "" | "majority" => Acknowledgment::Majority,
        s => match s.parse::<u32>() {
            Ok(n) => Acknowledgment::Nodes(n),
            Err(_) => Acknowledgment::Custom(s.to_string()),
        },
    };
    WriteConcern::builder().w(w).journal(true).build()
}

impl MongoStore {
    /// Connects to `url`, uses database `db`, and creates the collections, indexes and counters
    /// if they are missing (idempotent). Fails with `Unavailable` if no server answers within
    /// the server selection timeout.
    pub async fn connect(url: &str, db: &str, options: MongoOptions) -> StoreResult<Self> {
        let mut co = ClientOptions::parse(url)
            .await
            .map_err(|e| StoreError::Invalid(format!("MongoDB URL: {e}")))?;
        co.server_selection_timeout = Some(options.server_selection_timeout);
        co.connect_timeout = Some(options.connect_timeout);
        co.max_pool_size = Some(options.max_pool_size.max(1));
        co.write_concern = Some(write_concern(&options.write_concern));
        co.read_concern = Some(ReadConcern::majority());
        co.selection_criteria = Some(SelectionCriteria::ReadPreference(ReadPreference::Primary));
        co.app_name.get_or_insert_with(|| "eider".to_string());
        let client = Client::with_options(co).map_err(to_store)?;
        let database = client.database(db);
        let c = Colls::new(&database);
        schema::init(&database, &c, options.journal_ttl).await?;
        let txn_options = TransactionOptions::builder()
            .read_concern(ReadConcern::snapshot())
            .write_concern(write_concern(&options.write_concern))
            .build();
        let (events, _) = broadcast::channel(options.event_capacity.max(1));
        Ok(Self {
            client,
            database: db.to_string(),
            c,
            options,
            txn_options,
            stats: StoreStats::default(),
            events,
            local: local::LocalQueue::new(),
        })
    }

    /// The database this store uses.
    pub fn database(&self) -> Database {
        self.client.database(&self.database)
    }

    /// Allocates `count` consecutive values of a global counter, in a small transaction of its
    /// own (not the caller's, so creations do not contend on the counter document; a creation
    /// that fails later leaves a gap, never a duplicate). Returns the first.
    ///
    /// A lone `findOneAndUpdate` + `$inc` is atomic on mongod; the transaction costs one round
    /// trip more and also makes the allocation atomic on wire-compatible servers that only
    /// isolate transactions (the SecantusDB stand-in handed out one value twice under load).
    async fn allocate(&self, counter: &'static str, count: u64) -> StoreResult<u64> {
        let last = self
            .txn((), move |tx, _| Box::pin(bump_counter(tx, counter, count)))
            .await?;
        Ok(last + 1 - count)
    }

    /// `count` strictly increasing UIDVALIDITY values, each at least the current time, so a
    /// mailbox re-created under an old name never reuses an old value.
    async fn allocate_uid_validity(&self, count: u64) -> StoreResult<u32> {
        let now = crate::rules::unix_now().max(0);
        let last = self
            .txn((), move |tx, _| {
                Box::pin(async move {
                    tx.c.counters
                        .update_one(doc! {"_id": "uidvalidity"}, doc! {"$max": {"n": now - 1}})
                        .session(&mut tx.s)
                        .await?;
                    bump_counter(tx, "uidvalidity", count).await
                })
            })
            .await?;
        let first = last + 1 - count;
        u32::try_from(last)
            .map(|_| first as u32)
            .map_err(|_| StoreError::Internal("UIDVALIDITY space exhausted".into()))
    }
}

/// `$inc`s a global counter by `count` inside `tx`; returns the new value.
async fn bump_counter(tx: &mut txn::Tx, counter: &str, count: u64) -> DbResult<u64> {
    let d =
        tx.c.counters
            .find_one_and_update(doc! {"_id": counter}, doc! {"$inc": {"n": codec::n(count)}})
            .return_document(ReturnDocument::After)
            .session(&mut tx.s)
            .await?
            .ok_or_else(|| error::corrupt_missing(format!("counter {counter}")))?;
    counter_value(&d)
}

fn counter_value(d: &Document) -> DbResult<u64> {
    codec::get_u64(d, "n")
}
