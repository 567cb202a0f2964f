//! [`BlobWriter`]: streams bytes into a new blob.
//!
//! Memory is bounded by one chunk: bytes are buffered until a chunk is full, then compressed and
//! staged with `blob_put_chunk`. `finish` stages the last partial chunk and commits the upload
//! under the SHA-256 of all decoded bytes; if that blob already exists the store drops the staged
//! chunks (deduplication).

use super::codec::{CHUNK_SIZE, compress_chunk};
use crate::error::StoreResult;
use crate::store::MailStore;
use crate::types::{BlobId, UploadId};
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
    upload: UploadId,
    buf: Vec<u8>,
    hasher: Sha256,
    size: u64,
    chunks: u32,
}

impl BlobWriter {
    pub async fn begin(store: &dyn MailStore) -> StoreResult<Self> {
        let upload = store.blob_begin().await?;
        Ok(Self {
            upload,
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
        let compressed = compress_chunk(&self.buf)?;
        self.buf.clear();
        store
            .blob_put_chunk(self.upload, self.chunks, compressed)
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
        if !self.buf.is_empty() {
            self.flush(store).await?;
        }
        let id = BlobId(self.hasher.finalize_reset().into());
        let existed = store
            .blob_commit(self.upload, id, self.size, CHUNK_SIZE, self.chunks)
            .await?;
        Ok(BlobWritten {
            id,
            size: self.size,
            existed,
        })
    }

    /// Discards everything staged so far.
    pub async fn abort(self, store: &dyn MailStore) -> StoreResult<()> {
        store.blob_abort(self.upload).await
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
