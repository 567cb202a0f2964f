//! Collections and indexes of the MongoDB backend (see `docs/storage.md`, "MongoDB backend"),
//! created idempotently by [`init`] at start-up and by `eider db init`.
//!
//! Invariant: every index a query relies on is listed here; `init` may run any number of times,
//! from any number of processes at once (creating an existing collection or an identical index
//! is a no-op, and the global counters are inserted only when missing).

use super::error::{DbResult, code, is_duplicate_key};
use mongodb::bson::{Document, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use std::time::Duration;

/// Server error code "NamespaceExists" (collection already there).
const NAMESPACE_EXISTS: i32 = 48;
/// Server error codes "IndexOptionsConflict" (mongod: same keys, other options) and
/// "IndexKeySpecsConflict" (what some servers answer for the same case).
const INDEX_CONFLICT: [i32; 2] = [85, 86];

/// Global counters (small collection `counters`), created by `init`.
pub const COUNTERS: &[&str] = &["user", "mailbox", "uidvalidity", "outbox"];

/// Handles to every collection (cheap to clone: the driver shares them).
#[derive(Clone, Debug)]
pub struct Colls {
    pub counters: Collection<Document>,
    pub users: Collection<Document>,
    pub addresses: Collection<Document>,
    pub domain_aliases: Collection<Document>,
    pub mailboxes: Collection<Document>,
    pub mailbox_counters: Collection<Document>,
    pub messages: Collection<Document>,
    pub threads: Collection<Document>,
    pub journal: Collection<Document>,
    pub blobs: Collection<Document>,
    pub chunks: Collection<Document>,
    pub uploads: Collection<Document>,
    pub records: Collection<Document>,
    pub outbox: Collection<Document>,
}

impl Colls {
    pub fn new(db: &Database) -> Self {
        let c = |name: &str| db.collection::<Document>(name);
        Self {
            counters: c("counters"),
            users: c("users"),
            addresses: c("addresses"),
            domain_aliases: c("domain_aliases"),
            mailboxes: c("mailboxes"),
            mailbox_counters: c("mailbox_counters"),
            messages: c("messages"),
            threads: c("threads"),
            journal: c("journal"),
            blobs: c("blobs"),
            chunks: c("chunks"),
            uploads: c("uploads"),
            records: c("records"),
            outbox: c("outbox"),
        }
    }

    fn all(&self) -> [&Collection<Document>; 14] {
        [
            &self.counters,
            &self.users,
            &self.addresses,
            &self.domain_aliases,
            &self.mailboxes,
            &self.mailbox_counters,
            &self.messages,
            &self.threads,
            &self.journal,
            &self.blobs,
            &self.chunks,
            &self.uploads,
            &self.records,
            &self.outbox,
        ]
    }
}

fn index(keys: Document, unique: bool, name: &str) -> IndexModel {
    let options = IndexOptions::builder()
        .unique(unique.then_some(true))
        .name(name.to_string())
        .build();
    IndexModel::builder().keys(keys).options(options).build()
}

/// Creates the collections (transactions cannot create them implicitly on every server
/// version), the indexes and the global counters. `journal_ttl` is the TTL of journal entries.
pub async fn init(db: &Database, c: &Colls, journal_ttl: Duration) -> DbResult<()> {
    for coll in c.all() {
        match db.create_collection(coll.name()).await {
            Ok(()) => {}
            Err(e) if code(&e) == Some(NAMESPACE_EXISTS) => {}
            Err(e) => return Err(e.into()),
        }
    }
    // users by login (NFC + lower case): find_user, uniqueness.
    c.users
        .create_index(index(doc! {"key": 1}, true, "key_unique"))
        .await?;
    // list_addresses.
    c.addresses
        .create_index(index(doc! {"user": 1, "_id": 1}, false, "user"))
        .await?;
    // find_mailbox / list_mailboxes (sorted by path) / uniqueness of a path per user.
    c.mailboxes
        .create_index(index(doc! {"user": 1, "path": 1}, true, "user_path"))
        .await?;
    // Every message read, range and expunge: the shard key too.
    c.messages
        .create_index(index(doc! {"mailbox": 1, "uid": 1}, true, "mailbox_uid"))
        .await?;
    // Thread lookup by Message-ID within a user.
    c.threads
        .create_index(index(doc! {"user": 1, "msgid": 1}, true, "user_msgid"))
        .await?;
    // changes_since and the removal of a deleted mailbox's journal.
    c.journal
        .create_index(index(
            doc! {"mailbox": 1, "modseq": 1, "n": 1},
            true,
            "mailbox_modseq",
        ))
        .await?;
    // TTL: the server prunes entries older than store.journal_days by itself (the sweep also
    // prunes explicitly, because the TTL monitor runs only once a minute and may lag).
    let ttl = IndexOptions::builder()
        .expire_after(journal_ttl)
        .name("at_ttl".to_string())
        .build();
    let model = IndexModel::builder()
        .keys(doc! {"at": 1})
        .options(ttl)
        .build();
    match c.journal.create_index(model).await {
        Ok(_) => {}
        // The retention changed since the index was made: adjust it in place.
        Err(e) if code(&e).is_some_and(|c| INDEX_CONFLICT.contains(&c)) => {
            let secs = i64::try_from(journal_ttl.as_secs()).unwrap_or(i64::MAX);
            let index = doc! {"name": "at_ttl", "expireAfterSeconds": secs};
            db.run_command(doc! {"collMod": c.journal.name(), "index": index})
                .await?;
        }
        Err(e) => return Err(e.into()),
    }
    // Sweep candidates: unreferenced blobs by age.
    c.blobs
        .create_index(index(doc! {"refs": 1, "created": 1}, false, "refs_created"))
        .await?;
    // A blob's chunks by (chunk key, index): ranged reads of one blob.
    c.chunks
        .create_index(index(doc! {"k": 1, "i": 1}, true, "key_index"))
        .await?;
    // Stale uploads for the sweep.
    c.uploads
        .create_index(index(doc! {"opened": 1}, false, "opened"))
        .await?;
    // Records and outbox entries expire at their own `expires` date (TTL 0 = at that date).
    for coll in [&c.records, &c.outbox] {
        let ttl = IndexOptions::builder()
            .expire_after(Duration::ZERO)
            .name("expires_ttl".to_string())
            .build();
        let model = IndexModel::builder()
            .keys(doc! {"expires": 1})
            .options(ttl)
            .build();
        coll.create_index(model).await?;
    }
    // Claims: undelivered entries by lease end (delivered ones have no `lease`).
    c.outbox
        .create_index(index(doc! {"lease": 1}, false, "lease"))
        .await?;
    for name in COUNTERS {
        match c.counters.insert_one(doc! {"_id": *name, "n": 0i64}).await {
            Ok(_) => {}
            Err(e) if is_duplicate_key(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
