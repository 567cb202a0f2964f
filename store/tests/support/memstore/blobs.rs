//! The reference store's blob uploads, references and sweep (the `blob_*` and `sweep` methods
//! of its `MailStore` implementation).

use super::MemStore;
use super::state::*;
use eider_model::types::*;
use eider_model::*;
use eider_store::error::{StoreError, StoreResult};
use std::collections::BTreeMap;
use std::ops::RangeInclusive;

impl MemStore {
    pub(super) fn mem_blob_begin(&self) -> StoreResult<UploadId> {
        self.with(|s| {
            let id = UploadId(s.id());
            s.uploads.insert(id, (now(), BTreeMap::new()));
            Ok(id)
        })
    }

    pub(super) fn mem_blob_put_chunk(
        &self,
        upload: UploadId,
        index: u32,
        data: Vec<u8>,
    ) -> StoreResult<()> {
        self.with(|s| {
            s.uploads
                .get_mut(&upload)
                .ok_or_else(|| nf("upload"))?
                .1
                .insert(index, data);
            Ok(())
        })
    }

    pub(super) fn mem_blob_commit(
        &self,
        upload: UploadId,
        id: BlobId,
        size: u64,
        chunk_size: u32,
        chunks: u32,
    ) -> StoreResult<bool> {
        self.with(|s| {
            let (_, staged) = s.uploads.remove(&upload).ok_or_else(|| nf("upload"))?;
            if s.blobs.contains_key(&id) {
                return Ok(true);
            }
            let expected = (chunk_size > 0)
                .then(|| u32::try_from(size.div_ceil(u64::from(chunk_size))).ok())
                .flatten();
            if expected != Some(chunks) || staged.len() != chunks as usize {
                return Err(StoreError::Invalid(format!(
                    "{size} bytes in chunks of {chunk_size}: {chunks} named, {} staged",
                    staged.len()
                )));
            }
            let data: Vec<Vec<u8>> = (0..chunks)
                .map(|i| {
                    staged
                        .get(&i)
                        .cloned()
                        .ok_or_else(|| StoreError::Invalid(format!("chunk {i} missing")))
                })
                .collect::<StoreResult<_>>()?;
            s.blobs.insert(
                id,
                (
                    BlobInfo {
                        id,
                        size,
                        chunk_size,
                        refs: 0,
                        created: now(),
                    },
                    data,
                ),
            );
            Ok(false)
        })
    }

    pub(super) fn mem_blob_abort(&self, upload: UploadId) -> StoreResult<()> {
        self.with(|s| {
            s.uploads
                .remove(&upload)
                .map(|_| ())
                .ok_or_else(|| nf("upload"))
        })
    }

    pub(super) fn mem_blob_info(&self, id: BlobId) -> StoreResult<Option<BlobInfo>> {
        self.with(|s| Ok(s.blobs.get(&id).map(|b| b.0)))
    }

    pub(super) fn mem_list_blobs(
        &self,
        after: Option<BlobId>,
        limit: usize,
    ) -> StoreResult<Vec<BlobInfo>> {
        self.with(|s| {
            Ok(s.blobs
                .values()
                .filter(|b| after.is_none_or(|a| b.0.id > a))
                .take(limit)
                .map(|b| b.0)
                .collect())
        })
    }

    pub(super) fn mem_blob_chunks(
        &self,
        id: BlobId,
        chunks: RangeInclusive<u32>,
    ) -> StoreResult<Vec<Vec<u8>>> {
        let out: Vec<Vec<u8>> = self.with(|s| {
            let b = s.blobs.get(&id).ok_or(StoreError::MissingBlob(id))?;
            Ok(chunks
                .filter_map(|i| b.1.get(i as usize).cloned())
                .collect())
        })?;
        self.stats
            .add_content_read(out.iter().map(|c| c.len() as u64).sum());
        Ok(out)
    }

    pub(super) fn mem_blob_ref(&self, id: BlobId) -> StoreResult<()> {
        self.with(|s| {
            s.blobs
                .get_mut(&id)
                .map(|b| b.0.refs += 1)
                .ok_or(StoreError::MissingBlob(id))
        })
    }

    pub(super) fn mem_blob_unref(&self, id: BlobId) -> StoreResult<()> {
        self.with(|s| {
            s.blobs
                .get_mut(&id)
                .map(|b| b.0.refs = b.0.refs.saturating_sub(1))
                .ok_or(StoreError::MissingBlob(id))
        })
    }

    pub(super) fn mem_sweep(
        &self,
        created_before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        self.with(|s| {
            let mut st = SweepStats::default();
            let dead: Vec<BlobId> = s
                .blobs
                .values()
                .filter(|b| b.0.refs == 0 && b.0.created < created_before)
                .map(|b| b.0.id)
                .collect();
            for id in dead {
                let (_, chunks) = s.blobs.remove(&id).expect("blob");
                st.blobs += 1;
                st.chunks += chunks.len() as u64;
            }
            let before = s.uploads.len();
            s.uploads.retain(|_, u| u.0 >= created_before);
            st.uploads = (before - s.uploads.len()) as u64;
            for j in s.journal.values_mut() {
                let n = j.len();
                j.retain(|e| e.at >= journal_before);
                st.journal_entries += (n - j.len()) as u64;
            }
            Ok(st)
        })
    }
}
