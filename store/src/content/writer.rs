//! [`BlobWriter`]: streams bytes into a new blob.
//!
//! Memory is bounded by one chunk: bytes are buffered until a chunk is full, then compressed and
//! staged with `blob_put_chunk`. `finish` stages the last partial chunk and commits the upload
//! under the SHA-256 of all decoded bytes; if that blob already exists the store drops the staged
//! chunks (deduplication).
//!
//! The upload is opened lazily, when the first full chunk must be staged: a blob that fits in
//! one chunk (most message skeletons) goes to the store in one `blob_put` call at `finish`,
//! which the embedded store does in one write transaction instead of three.

use super::codec::{CHUNK_SIZE, compress_chunk};
use crate::error::StoreResult;
use crate::mailstore::MailStore;
use eider_model::PendingBlob;
use eider_model::types::{BlobId, UploadId};
use sha2::{Digest, Sha256};

/// The outcome of [`BlobWriter::finish_report`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlobWritten {
    pub id: BlobId,
    /// Decoded bytes.
    pub size: u64,
    /// The blob was already stored; this upload was dropped.
    pub existed: bool,
}

/// A blob being written. Call [`finish`](Self::finish) or [`abort`](Self::abort); a writer
/// dropped without either leaves a staged upload that the sweep removes after the grace period.
#[derive(Debug)]
pub struct BlobWriter {
    /// Opened with the first staged chunk.
    upload: Option<UploadId>,
    buf: Vec<u8>,
    hasher: Sha256,
    size: u64,
    chunks: u32,
}

impl BlobWriter {
    /// A new writer. Touches the store only once a chunk must be staged (kept async and
    /// fallible so callers need not change if that moves back here).
    pub async fn begin(_store: &dyn MailStore) -> StoreResult<Self> {
        Ok(Self {
            upload: None,
            buf: Vec::with_capacity(CHUNK_SIZE as usize),
            hasher: Sha256::new(),
            size: 0,
            chunks: 0,
        })
    }

    /// Decoded bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub async fn write(&mut self, store: &dyn MailStore, mut data: &[u8]) -> StoreResult<()> {
        self.hasher.update(data);
        self.size += data.len() as u64;
        while !data.is_empty() {
            let room = CHUNK_SIZE as usize - self.buf.len();
            let take = room.min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == CHUNK_SIZE as usize {
                self.flush(store).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, store: &dyn MailStore) -> StoreResult<()> {
        let upload = match self.upload {
            Some(u) => u,
            None => {
                let u = store.blob_begin().await?;
                self.upload = Some(u);
                u
            }
        };
        let compressed = compress_chunk(&self.buf)?;
        self.buf.clear();
        store
            .blob_put_chunk(upload, self.chunks, compressed)
            .await?;
        self.chunks += 1;
        Ok(())
    }

    /// Commits the blob; returns its id and decoded size.
    pub async fn finish(self, store: &dyn MailStore) -> StoreResult<(BlobId, u64)> {
        let done = self.finish_report(store).await?;
        Ok((done.id, done.size))
    }

    /// Like [`finish`](Self::finish), also saying whether the blob already existed.
    pub async fn finish_report(mut self, store: &dyn MailStore) -> StoreResult<BlobWritten> {
        let Some(upload) = self.upload else {
            // Never staged: at most one partial chunk, stored in one call.
            let p = self.whole()?;
            let (id, size) = (p.id, p.size);
            let existed = store.blob_put(id, size, p.chunk_size, p.chunks).await?;
            return Ok(BlobWritten { id, size, existed });
        };
        if !self.buf.is_empty() {
            self.flush(store).await?;
        }
        let id = BlobId(self.hasher.finalize_reset().into());
        let existed = store
            .blob_commit(upload, id, self.size, CHUNK_SIZE, self.chunks)
            .await?;
        Ok(BlobWritten {
            id,
            size: self.size,
            existed,
        })
    }

    /// Like [`finish`](Self::finish), but a blob that was never staged (it fits in one chunk)
    /// is not stored: it comes back as a [`PendingBlob`] for the caller to store with the write
    /// that refers to it (`MailStore::append_with_blobs`). A larger blob is committed as usual.
    pub async fn finish_deferred(
        mut self,
        store: &dyn MailStore,
    ) -> StoreResult<(BlobId, u64, Option<PendingBlob>)> {
        if self.upload.is_some() {
            let (id, size) = self.finish(store).await?;
            return Ok((id, size, None));
        }
        let p = self.whole()?;
        Ok((p.id, p.size, Some(p)))
    }

    /// The whole blob of a writer that never staged a chunk.
    fn whole(&mut self) -> StoreResult<PendingBlob> {
        let chunks = if self.buf.is_empty() {
            Vec::new()
        } else {
            vec![compress_chunk(&self.buf)?]
        };
        Ok(PendingBlob {
            id: BlobId(self.hasher.finalize_reset().into()),
            size: self.size,
            chunk_size: CHUNK_SIZE,
            chunks,
        })
    }

    /// Discards everything staged so far.
    pub async fn abort(self, store: &dyn MailStore) -> StoreResult<()> {
        match self.upload {
            Some(upload) => store.blob_abort(upload).await,
            None => Ok(()),
        }
    }
}

/// Stores `bytes` as a blob in one call (small blobs, tests, tools).
pub async fn put_blob(store: &dyn MailStore, bytes: &[u8]) -> StoreResult<BlobWritten> {
    let mut writer = BlobWriter::begin(store).await?;
    if let Err(e) = writer.write(store, bytes).await {
        let _ = writer.abort(store).await;
        return Err(e);
    }
    writer.finish_report(store).await
}
