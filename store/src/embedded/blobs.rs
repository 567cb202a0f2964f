//! Blobs of the embedded store: staged uploads, commit under the content hash, reference
//! counting, chunk reads and the sweep.
//!
//! Chunks live under `(key, index)` where `key` is the upload id they were staged with. Committing
//! a new blob records that key in its [`BlobRecord`], so nothing is copied; committing a blob that
//! already exists drops the staged chunks and refreshes the existing blob's `created` time, which
//! restarts its grace period (a delivery commits its blobs, then appends within the grace period).
//!
//! Invariant: a blob is in `unreferenced` (with its `created` time) exactly when its refs are 0.

use super::journal;
use super::tables::{self, Tables, dec, enc, load};
use super::writer::Ctx;
use crate::error::{StoreError, StoreResult};
use eider_model::types::{BlobId, UnixTime, UploadId};
use eider_model::{BlobInfo, SweepStats};
use redb::{ReadTransaction, ReadableTable};
use serde::{Deserialize, Serialize};
use std::ops::RangeInclusive;

/// What `blobs` stores per blob.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct BlobRecord {
    pub info: BlobInfo,
    /// The chunk key (upload id the chunks were staged under).
    pub key: u64,
    pub chunks: u32,
}

fn require(t: &Tables<'_>, id: BlobId) -> StoreResult<BlobRecord> {
    load(&t.blobs, id.0)?.ok_or(StoreError::MissingBlob(id))
}

fn store(t: &mut Tables<'_>, record: &BlobRecord) -> StoreResult<()> {
    t.blobs.insert(record.info.id.0, enc(record)?.as_slice())?;
    Ok(())
}

/// Adds `delta` (±1) to a blob's references; `MissingBlob` if it does not exist.
pub fn add_ref(t: &mut Tables<'_>, id: BlobId, delta: i64) -> StoreResult<()> {
    let mut record = require(t, id)?;
    let refs =
        record.info.refs.checked_add_signed(delta).ok_or_else(|| {
            StoreError::NotAllowed(format!("blob {id} has no reference to release"))
        })?;
    match (record.info.refs, refs) {
        (0, r) if r > 0 => {
            t.unreferenced.remove(id.0)?;
        }
        (r, 0) if r > 0 => {
            t.unreferenced.insert(id.0, record.info.created)?;
        }
        _ => {}
    }
    record.info.refs = refs;
    store(t, &record)
}

pub fn begin(t: &mut Tables<'_>, ctx: &Ctx) -> StoreResult<UploadId> {
    let id = t.next_id("upload")?;
    t.uploads.insert(id, ctx.now)?;
    Ok(UploadId(id))
}

fn require_upload(t: &Tables<'_>, upload: UploadId) -> StoreResult<()> {
    match t.uploads.get(upload.0)? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!("upload {}", upload.0))),
    }
}

pub fn put_chunk(t: &mut Tables<'_>, upload: UploadId, index: u32, data: &[u8]) -> StoreResult<()> {
    require_upload(t, upload)?;
    t.chunks.insert((upload.0, index), data)?;
    Ok(())
}

/// Removes every chunk stored under `key`; returns how many.
fn drop_chunks(t: &mut Tables<'_>, key: u64) -> StoreResult<u64> {
    let indexes: Vec<u32> = t
        .chunks
        .range((key, 0)..=(key, u32::MAX))?
        .map(|r| r.map(|(k, _)| k.value().1))
        .collect::<Result<_, _>>()?;
    for i in &indexes {
        t.chunks.remove((key, *i))?;
    }
    Ok(indexes.len() as u64)
}

pub fn commit(
    t: &mut Tables<'_>,
    ctx: &Ctx,
    upload: UploadId,
    id: BlobId,
    size: u64,
    chunk_size: u32,
    chunks: u32,
) -> StoreResult<bool> {
    require_upload(t, upload)?;
    if let Some(mut existing) = load::<_, BlobRecord>(&t.blobs, id.0)? {
        drop_chunks(t, upload.0)?;
        t.uploads.remove(upload.0)?;
        existing.info.created = ctx.now;
        if existing.info.refs == 0 {
            t.unreferenced.insert(id.0, ctx.now)?;
        }
        store(t, &existing)?;
        return Ok(true);
    }
    let expected = if chunk_size == 0 {
        None
    } else {
        u32::try_from(size.div_ceil(u64::from(chunk_size))).ok()
    };
    if expected != Some(chunks) {
        return Err(StoreError::Invalid(format!(
            "blob of {size} bytes in chunks of {chunk_size} cannot have {chunks} chunks"
        )));
    }
    let staged = t
        .chunks
        .range((upload.0, 0)..=(upload.0, u32::MAX))?
        .count() as u64;
    let complete = chunks == 0 || t.chunks.get((upload.0, chunks - 1))?.is_some();
    if staged != u64::from(chunks) || !complete {
        return Err(StoreError::Invalid(format!(
            "upload {} staged {staged} chunks, commit names {chunks}",
            upload.0
        )));
    }
    t.uploads.remove(upload.0)?;
    let record = BlobRecord {
        info: BlobInfo {
            id,
            size,
            chunk_size,
            refs: 0,
            created: ctx.now,
        },
        key: upload.0,
        chunks,
    };
    store(t, &record)?;
    t.unreferenced.insert(id.0, ctx.now)?;
    Ok(false)
}

/// `blob_begin` + `blob_put_chunk`s + `blob_commit` inside one transaction.
pub fn put_whole(
    t: &mut Tables<'_>,
    ctx: &Ctx,
    id: BlobId,
    size: u64,
    chunk_size: u32,
    chunks: &[Vec<u8>],
) -> StoreResult<bool> {
    let count = u32::try_from(chunks.len())
        .map_err(|_| StoreError::Invalid("too many chunks in one blob".into()))?;
    let upload = begin(t, ctx)?;
    for (index, data) in (0..count).zip(chunks) {
        put_chunk(t, upload, index, data)?;
    }
    commit(t, ctx, upload, id, size, chunk_size, count)
}

pub fn abort(t: &mut Tables<'_>, upload: UploadId) -> StoreResult<()> {
    if t.uploads.remove(upload.0)?.is_some() {
        drop_chunks(t, upload.0)?;
    }
    Ok(())
}

pub fn sweep(
    t: &mut Tables<'_>,
    created_before: UnixTime,
    journal_before: UnixTime,
) -> StoreResult<SweepStats> {
    let mut stats = SweepStats::default();
    let mut doomed = Vec::new();
    for row in t.unreferenced.iter()? {
        let (k, v) = row?;
        if v.value() < created_before {
            doomed.push(BlobId(k.value()));
        }
    }
    for id in doomed {
        let record = require(t, id)?;
        stats.chunks += drop_chunks(t, record.key)?;
        t.blobs.remove(id.0)?;
        t.unreferenced.remove(id.0)?;
        stats.blobs += 1;
    }
    let mut stale = Vec::new();
    for row in t.uploads.iter()? {
        let (k, v) = row?;
        if v.value() < created_before {
            stale.push(k.value());
        }
    }
    for upload in stale {
        t.uploads.remove(upload)?;
        stats.chunks += drop_chunks(t, upload)?;
        stats.uploads += 1;
    }
    stats.journal_entries = journal::prune(t, journal_before)?;
    Ok(stats)
}

// ---- reads ----------------------------------------------------------------------------------

pub fn info(txn: &ReadTransaction, id: BlobId) -> StoreResult<Option<BlobInfo>> {
    let record: Option<BlobRecord> = load(&txn.open_table(tables::BLOBS)?, id.0)?;
    Ok(record.map(|r| r.info))
}

pub fn list(
    txn: &ReadTransaction,
    after: Option<BlobId>,
    limit: usize,
) -> StoreResult<Vec<BlobInfo>> {
    let table = txn.open_table(tables::BLOBS)?;
    let mut out = Vec::new();
    let rows = match after {
        Some(a) => table.range((std::ops::Bound::Excluded(a.0), std::ops::Bound::Unbounded))?,
        None => table.range::<[u8; 32]>(..)?,
    };
    for row in rows.take(limit) {
        let record: BlobRecord = dec(row?.1.value())?;
        out.push(record.info);
    }
    Ok(out)
}

/// The compressed chunks `range` of a blob and their total size.
pub fn chunks(
    txn: &ReadTransaction,
    id: BlobId,
    range: RangeInclusive<u32>,
) -> StoreResult<(Vec<Vec<u8>>, u64)> {
    let record: BlobRecord =
        load(&txn.open_table(tables::BLOBS)?, id.0)?.ok_or(StoreError::MissingBlob(id))?;
    let (start, end) = (*range.start(), *range.end());
    if start > end {
        return Ok((Vec::new(), 0));
    }
    if end >= record.chunks {
        return Err(StoreError::Invalid(format!(
            "blob {id} has {} chunks, asked for {start}..={end}",
            record.chunks
        )));
    }
    let table = txn.open_table(tables::CHUNKS)?;
    let mut out = Vec::with_capacity((end - start + 1) as usize);
    let mut bytes = 0u64;
    for row in table.range((record.key, start)..=(record.key, end))? {
        let data = row?.1.value().to_vec();
        bytes += data.len() as u64;
        out.push(data);
    }
    if out.len() != (end - start + 1) as usize {
        return Err(StoreError::Corrupt(format!("blob {id} is missing chunks")));
    }
    Ok((out, bytes))
}
