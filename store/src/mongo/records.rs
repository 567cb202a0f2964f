//! Generic records with expiry (collection `records`) and the event outbox (collection
//! `outbox`) of the MongoDB store; see `docs/storage.md`.
//!
//! `records`: `{_id: key, v: Binary, expires?: Date}`. `outbox`: `{_id: id, at: Date,
//! expires: Date, claims, lease?: unix ms, payload: Binary}`, where `lease` is present exactly
//! while the entry is undelivered. A TTL index on `expires` (expireAfterSeconds 0) removes
//! expired documents of both; the TTL monitor runs about once a minute, so every read also
//! filters on `expires`. Single-document writes are atomic without a transaction: a claim is
//! one `findOneAndUpdate` per entry whose filter (`lease <= now`) and update (`lease = now +
//! lease`) are applied atomically, so two processes never both win a lease. An outbox id comes
//! from the `outbox` counter bumped in the transaction that inserts the entry: a concurrent
//! push conflicts on the counter document and commits after, so ids become visible in order.

use super::codec::{bin, corrupt, get_bin, get_u32, get_u64, n};
use super::error::{DbResult, to_store};
use super::txn::Tx;
use super::{MongoStore, bump_counter};
use crate::error::StoreResult;
use crate::rules::unix_now;
use eider_model::OutboxEntry;
use eider_model::types::UnixTime;
use futures::TryStreamExt;
use mongodb::bson::{Bson, DateTime, Document, doc};
use mongodb::options::ReturnDocument;
use std::time::Duration;

fn date(at: UnixTime) -> DateTime {
    DateTime::from_millis(at.saturating_mul(1000))
}

fn now_ms() -> i64 {
    DateTime::now().timestamp_millis()
}

/// Matches documents without `expires` or expiring after now.
fn unexpired() -> Document {
    doc! {"$or": [{"expires": {"$exists": false}}, {"expires": {"$gt": date(unix_now())}}]}
}

/// `_id` range of the keys starting with `prefix` (bytewise UTF-8 order, as BSON compares
/// strings without a collation); above `after` when given.
fn prefix_range(prefix: &str, after: Option<&str>) -> Document {
    let mut range = doc! {"$gte": prefix, "$lt": format!("{prefix}\u{10FFFF}")};
    if let Some(a) = after {
        range.insert("$gt", a);
    }
    range
}

fn entry(d: &Document) -> DbResult<OutboxEntry> {
    let at = match d.get("at") {
        Some(Bson::DateTime(t)) => t.timestamp_millis().div_euclid(1000),
        other => return Err(corrupt(format!("outbox date {other:?}"))),
    };
    Ok(OutboxEntry {
        id: get_u64(d, "_id")?,
        at,
        claims: get_u32(d, "claims")?,
        payload: get_bin(d, "payload")?.to_vec(),
    })
}

/// Appends an outbox entry inside `tx` (also used by copy/move for junk signals).
pub async fn push(tx: &mut Tx, payload: Vec<u8>, expires: UnixTime) -> DbResult<u64> {
    let id = bump_counter(tx, "outbox", 1).await?;
    let d = doc! {
        "_id": n(id),
        "at": date(tx.now),
        "expires": date(expires),
        "claims": 0i64,
        "lease": 0i64,
        "payload": bin(payload),
    };
    tx.c.outbox.insert_one(d).session(&mut tx.s).await?;
    Ok(id)
}

impl MongoStore {
    pub(super) async fn rec_put(
        &self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        let mut d = doc! {"_id": key, "v": bin(value)};
        if let Some(e) = expires {
            d.insert("expires", date(e));
        }
        self.c
            .records
            .replace_one(doc! {"_id": key}, d)
            .upsert(true)
            .await
            .map_err(to_store)?;
        Ok(())
    }

    pub(super) async fn rec_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let mut filter = unexpired();
        filter.insert("_id", key);
        let Some(d) = self.c.records.find_one(filter).await.map_err(to_store)? else {
            return Ok(None);
        };
        Ok(Some(get_bin(&d, "v")?.to_vec()))
    }

    pub(super) async fn rec_delete(&self, key: &str) -> StoreResult<bool> {
        let old = self
            .c
            .records
            .find_one_and_delete(doc! {"_id": key})
            .await
            .map_err(to_store)?;
        let now = date(unix_now());
        Ok(old.is_some_and(|d| match d.get("expires") {
            Some(Bson::DateTime(e)) => *e > now,
            _ => true,
        }))
    }

    pub(super) async fn rec_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let mut filter = unexpired();
        filter.insert("_id", prefix_range(prefix, after));
        let docs = first_by_id(&self.c.records, filter, limit).await?;
        let mut out = Vec::with_capacity(docs.len());
        for d in &docs {
            let key = d
                .get_str("_id")
                .map_err(|e| corrupt(format!("record key: {e}")))?;
            out.push((key.to_string(), get_bin(d, "v")?.to_vec()));
        }
        Ok(out)
    }

    pub(super) async fn rec_delete_prefix(&self, prefix: &str) -> StoreResult<u64> {
        let r = self
            .c
            .records
            .delete_many(doc! {"_id": prefix_range(prefix, None)})
            .await
            .map_err(to_store)?;
        Ok(r.deleted_count)
    }

    pub(super) async fn out_push(&self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        self.txn(payload, move |tx, payload| {
            Box::pin(push(tx, payload.clone(), expires))
        })
        .await
    }

    pub(super) async fn out_after(
        &self,
        after: u64,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let filter = doc! {"_id": {"$gt": n(after)}, "expires": {"$gt": date(unix_now())}};
        let docs = first_by_id(&self.c.outbox, filter, limit).await?;
        Ok(docs.iter().map(entry).collect::<DbResult<_>>()?)
    }

    pub(super) async fn out_claim(
        &self,
        lease: Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        let mut out = Vec::new();
        while out.len() < limit {
            let now = now_ms();
            let filter = doc! {"lease": {"$lte": now}, "expires": {"$gt": date(unix_now())}};
            let update = doc! {
                "$set": {"lease": now.saturating_add(lease_ms)},
                "$inc": {"claims": 1i64},
            };
            let won = self
                .c
                .outbox
                .find_one_and_update(filter, update)
                .sort(doc! {"_id": 1})
                .return_document(ReturnDocument::After)
                .await
                .map_err(to_store)?;
            match won {
                Some(d) => out.push(entry(&d)?),
                None => break,
            }
        }
        Ok(out)
    }

    pub(super) async fn out_done(&self, id: u64) -> StoreResult<()> {
        self.c
            .outbox
            .update_one(doc! {"_id": n(id)}, doc! {"$unset": {"lease": ""}})
            .await
            .map_err(to_store)?;
        Ok(())
    }
}

/// The first `limit` documents of `coll` matching `filter`, in `_id` order (outside any
/// transaction: these reads need no snapshot with other reads).
async fn first_by_id(
    coll: &mongodb::Collection<Document>,
    filter: Document,
    limit: usize,
) -> StoreResult<Vec<Document>> {
    coll.find(filter)
        .sort(doc! {"_id": 1})
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .await
        .map_err(to_store)?
        .try_collect()
        .await
        .map_err(to_store)
}
