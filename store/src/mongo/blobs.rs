//! Blobs of the MongoDB store: staged uploads, commit under the content hash, reference counts,
//! chunk reads and the sweep.
//!
//! `blobs` holds `{_id: sha256, size, chunk_size, chunks, k, refs, created}`; `chunks` holds
//! `{k, i, data}` where `k` is the upload id the chunks were staged under (a committed blob keeps
//! it, so committing never copies chunks); `uploads` holds `{_id, opened}` while an upload is open.
//!
//! Ordering that keeps referenced blobs safe: chunks are staged before the blob document exists;
//! the blob document appears (refs 0, `created` = now) only when its chunks are complete; a
//! message takes its references in the append transaction, which fails with `MissingBlob` if the
//! blob is gone; the sweep deletes a blob document (and then its chunks) in one transaction only
//! while `refs` is 0 and `created` is older than the cutoff. A crash between any two calls thus
//! leaves at most an unreferenced blob or a stale upload, both collected by a later sweep.
//!
//! Staging a chunk and aborting an upload both *write* the upload document inside their
//! transaction, so the two conflict (MongoDB detects write-write conflicts only) and a chunk can
//! never be staged into an upload that is being aborted or committed.

use super::codec::{bin, blob_key, blob_of, get_bin, get_u32, get_u64, n};
use super::error::{DbResult, dup_is_conflict};
use super::journal;
use super::txn::{Tx, find_all, find_one};
use crate::error::StoreError;
use eider_model::types::{BlobId, UnixTime, UploadId};
use eider_model::{BlobInfo, SweepStats};
use mongodb::bson::{Bson, Document, doc};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::RangeInclusive;

fn info_of(d: &Document) -> DbResult<BlobInfo> {
    Ok(BlobInfo {
        id: blob_of(d.get("_id").unwrap_or(&Bson::Null))?,
        size: get_u64(d, "size")?,
        chunk_size: get_u32(d, "chunk_size")?,
        refs: get_u64(d, "refs")?,
        created: super::codec::get_i64(d, "created")?,
    })
}

/// Takes one reference on each blob of `ids`; `MissingBlob` if any does not exist.
pub async fn add_one_each(tx: &mut Tx, ids: &BTreeSet<BlobId>) -> DbResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let keys: Vec<Bson> = ids.iter().map(|b| blob_key(*b)).collect();
    let r =
        tx.c.blobs
            .update_many(doc! {"_id": {"$in": &keys}}, doc! {"$inc": {"refs": 1i64}})
            .session(&mut tx.s)
            .await?;
    if r.matched_count == ids.len() as u64 {
        return Ok(());
    }
    for id in ids {
        if find_one(&mut tx.s, &tx.c.blobs, doc! {"_id": blob_key(*id)})
            .await?
            .is_none()
        {
            return Err(StoreError::MissingBlob(*id).into());
        }
    }
    Err(StoreError::Internal("blob references changed under the transaction".into()).into())
}

/// Adds `delta` references per blob; `MissingBlob` if one does not exist, `NotAllowed` if a
/// release would take its count below zero.
pub async fn add_refs(tx: &mut Tx, deltas: &BTreeMap<BlobId, i64>) -> DbResult<()> {
    for (id, delta) in deltas {
        if *delta == 0 {
            continue;
        }
        let mut filter = doc! {"_id": blob_key(*id)};
        if *delta < 0 {
            filter.insert("refs", doc! {"$gte": -*delta});
        }
        let r =
            tx.c.blobs
                .update_one(filter, doc! {"$inc": {"refs": *delta}})
                .session(&mut tx.s)
                .await?;
        if r.matched_count == 1 {
            continue;
        }
        let exists = find_one(&mut tx.s, &tx.c.blobs, doc! {"_id": blob_key(*id)})
            .await?
            .is_some();
        return Err(if exists {
            StoreError::NotAllowed(format!("blob {id} has no reference to release"))
        } else {
            StoreError::MissingBlob(*id)
        }
        .into());
    }
    Ok(())
}

/// Writes the upload document (see the module doc); `NotFound` if the upload is not open.
async fn touch_upload(tx: &mut Tx, upload: UploadId) -> DbResult<()> {
    let r =
        tx.c.uploads
            .update_one(
                doc! {"_id": n(upload.0)},
                doc! {"$set": {"touched": tx.now}},
            )
            .session(&mut tx.s)
            .await?;
    if r.matched_count == 0 {
        return Err(StoreError::NotFound(format!("upload {}", upload.0)).into());
    }
    Ok(())
}

pub async fn put_chunk(tx: &mut Tx, upload: UploadId, index: u32, data: &[u8]) -> DbResult<()> {
    touch_upload(tx, upload).await?;
    tx.c.chunks
        .update_one(
            doc! {"k": n(upload.0), "i": i64::from(index)},
            doc! {"$set": {"data": bin(data.to_vec())}},
        )
        .upsert(true)
        .session(&mut tx.s)
        .await?;
    Ok(())
}

/// Removes every chunk stored under `key`; returns how many.
async fn drop_chunks(tx: &mut Tx, key: u64) -> DbResult<u64> {
    let r =
        tx.c.chunks
            .delete_many(doc! {"k": n(key)})
            .session(&mut tx.s)
            .await?;
    Ok(r.deleted_count)
}

pub struct Commit {
    pub upload: UploadId,
    pub id: BlobId,
    pub size: u64,
    pub chunk_size: u32,
    pub chunks: u32,
}

pub async fn commit(tx: &mut Tx, c: &Commit) -> DbResult<bool> {
    touch_upload(tx, c.upload).await?;
    let key = blob_key(c.id);
    if find_one(&mut tx.s, &tx.c.blobs, doc! {"_id": key.clone()})
        .await?
        .is_some()
    {
        drop_chunks(tx, c.upload.0).await?;
        close_upload(tx, c.upload).await?;
        // Restarts the grace period: the caller is about to reference it.
        tx.c.blobs
            .update_one(doc! {"_id": key}, doc! {"$set": {"created": tx.now}})
            .session(&mut tx.s)
            .await?;
        return Ok(true);
    }
    let expected = if c.chunk_size == 0 {
        None
    } else {
        u32::try_from(c.size.div_ceil(u64::from(c.chunk_size))).ok()
    };
    if expected != Some(c.chunks) {
        return Err(StoreError::Invalid(format!(
            "blob of {} bytes in chunks of {} cannot have {} chunks",
            c.size, c.chunk_size, c.chunks
        ))
        .into());
    }
    let staged =
        tx.c.chunks
            .count_documents(doc! {"k": n(c.upload.0)})
            .session(&mut tx.s)
            .await?;
    let last = doc! {"k": n(c.upload.0), "i": i64::from(c.chunks.saturating_sub(1))};
    let complete = c.chunks == 0 || find_one(&mut tx.s, &tx.c.chunks, last).await?.is_some();
    if staged != u64::from(c.chunks) || !complete {
        return Err(StoreError::Invalid(format!(
            "upload {} staged {staged} chunks, commit names {}",
            c.upload.0, c.chunks
        ))
        .into());
    }
    close_upload(tx, c.upload).await?;
    let d = doc! {
        "_id": key,
        "size": n(c.size),
        "chunk_size": i64::from(c.chunk_size),
        "chunks": i64::from(c.chunks),
        "k": n(c.upload.0),
        "refs": 0i64,
        "created": tx.now,
    };
    tx.c.blobs
        .insert_one(d)
        .session(&mut tx.s)
        .await
        .map_err(dup_is_conflict)?;
    Ok(false)
}

async fn close_upload(tx: &mut Tx, upload: UploadId) -> DbResult<bool> {
    let r =
        tx.c.uploads
            .delete_one(doc! {"_id": n(upload.0)})
            .session(&mut tx.s)
            .await?;
    Ok(r.deleted_count == 1)
}

pub async fn abort(tx: &mut Tx, upload: UploadId) -> DbResult<()> {
    if close_upload(tx, upload).await? {
        drop_chunks(tx, upload.0).await?;
    }
    Ok(())
}

/// Deletes one blob if it is still unreferenced and older than `before` (one sweep step).
pub async fn sweep_blob(tx: &mut Tx, id: BlobId, before: UnixTime) -> DbResult<SweepStats> {
    let filter = doc! {"_id": blob_key(id), "refs": 0i64, "created": {"$lt": before}};
    let Some(d) =
        tx.c.blobs
            .find_one_and_delete(filter)
            .session(&mut tx.s)
            .await?
    else {
        return Ok(SweepStats::default());
    };
    let chunks = drop_chunks(tx, get_u64(&d, "k")?).await?;
    Ok(SweepStats {
        blobs: 1,
        chunks,
        ..SweepStats::default()
    })
}

/// Deletes one upload opened before `before` with its chunks (one sweep step).
pub async fn sweep_upload(tx: &mut Tx, upload: u64, before: UnixTime) -> DbResult<SweepStats> {
    let filter = doc! {"_id": n(upload), "opened": {"$lt": before}};
    let r = tx.c.uploads.delete_one(filter).session(&mut tx.s).await?;
    if r.deleted_count == 0 {
        return Ok(SweepStats::default());
    }
    Ok(SweepStats {
        chunks: drop_chunks(tx, upload).await?,
        uploads: 1,
        ..SweepStats::default()
    })
}

/// Sweep candidates (read outside transactions; each is re-checked in its own).
pub async fn sweep_candidates(tx: &mut Tx, before: UnixTime) -> DbResult<(Vec<BlobId>, Vec<u64>)> {
    let filter = doc! {"refs": 0i64, "created": {"$lt": before}};
    let blobs = find_all(&mut tx.s, &tx.c.blobs, filter, None, Some(doc! {"_id": 1})).await?;
    let blobs = blobs
        .iter()
        .map(|d| blob_of(d.get("_id").unwrap_or(&Bson::Null)))
        .collect::<DbResult<_>>()?;
    let filter = doc! {"opened": {"$lt": before}};
    let uploads = find_all(
        &mut tx.s,
        &tx.c.uploads,
        filter,
        None,
        Some(doc! {"_id": 1}),
    )
    .await?;
    let uploads = uploads
        .iter()
        .map(|d| get_u64(d, "_id"))
        .collect::<DbResult<_>>()?;
    Ok((blobs, uploads))
}

pub async fn prune_journal(tx: &mut Tx, before: UnixTime) -> DbResult<u64> {
    journal::prune(tx, before).await
}

// ---- reads ------------------------------------------------------------------------------------

pub async fn info(tx: &mut Tx, id: BlobId) -> DbResult<Option<BlobInfo>> {
    find_one(&mut tx.s, &tx.c.blobs, doc! {"_id": blob_key(id)})
        .await?
        .map(|d| info_of(&d))
        .transpose()
}

pub async fn list(tx: &mut Tx, after: Option<BlobId>, limit: usize) -> DbResult<Vec<BlobInfo>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let filter = match after {
        Some(a) => doc! {"_id": {"$gt": blob_key(a)}},
        None => doc! {},
    };
    let mut cursor =
        tx.c.blobs
            .find(filter)
            .sort(doc! {"_id": 1})
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .session(&mut tx.s)
            .await?;
    let mut out = Vec::new();
    while let Some(d) = cursor.next(&mut tx.s).await {
        out.push(info_of(&d?)?);
    }
    Ok(out)
}

/// The compressed chunks `range` of a blob and their total size.
pub async fn chunks(
    tx: &mut Tx,
    id: BlobId,
    range: RangeInclusive<u32>,
) -> DbResult<(Vec<Vec<u8>>, u64)> {
    let d = find_one(&mut tx.s, &tx.c.blobs, doc! {"_id": blob_key(id)})
        .await?
        .ok_or(StoreError::MissingBlob(id))?;
    let (start, end) = (*range.start(), *range.end());
    if start > end {
        return Ok((Vec::new(), 0));
    }
    let count = get_u32(&d, "chunks")?;
    if end >= count {
        return Err(StoreError::Invalid(format!(
            "blob {id} has {count} chunks, asked for {start}..={end}"
        ))
        .into());
    }
    let filter = doc! {
        "k": n(get_u64(&d, "k")?),
        "i": {"$gte": i64::from(start), "$lte": i64::from(end)},
    };
    let docs = find_all(&mut tx.s, &tx.c.chunks, filter, Some(doc! {"i": 1}), None).await?;
    if docs.len() != (end - start + 1) as usize {
        return Err(StoreError::Corrupt(format!("blob {id} is missing chunks")).into());
    }
    let mut out = Vec::with_capacity(docs.len());
    let mut bytes = 0u64;
    for d in &docs {
        let data = get_bin(d, "data")?.to_vec();
        bytes += data.len() as u64;
        out.push(data);
    }
    Ok((out, bytes))
}
