//! The sweep of the MongoDB store: unreferenced blobs past the grace cutoff, stale uploads, and
//! journal entries older than the retention (the TTL index also prunes those, lazily).
//!
//! Candidates are read first, then each blob and upload is removed in its own small transaction
//! that re-checks the condition (see [`super::blobs`] for why that keeps referenced blobs safe).

use super::{MongoStore, blobs};
use crate::error::StoreResult;
use eider_model::SweepStats;
use eider_model::types::UnixTime;

impl MongoStore {
    /// The sweep: candidates are read first, then each blob and upload is removed in its own
    /// small transaction that re-checks the condition (a concurrent append that took a
    /// reference wins: the conditional delete then matches nothing).
    pub(super) async fn sweep_all(
        &self,
        before: UnixTime,
        journal_before: UnixTime,
    ) -> StoreResult<SweepStats> {
        let (blob_ids, uploads) = self
            .read((), move |tx, _| {
                Box::pin(blobs::sweep_candidates(tx, before))
            })
            .await?;
        let mut stats = SweepStats::default();
        let mut add = |s: SweepStats| {
            stats.blobs += s.blobs;
            stats.chunks += s.chunks;
            stats.uploads += s.uploads;
        };
        for id in blob_ids {
            add(self
                .txn((), move |tx, _| Box::pin(blobs::sweep_blob(tx, id, before)))
                .await?);
        }
        for upload in uploads {
            add(self
                .txn((), move |tx, _| {
                    Box::pin(blobs::sweep_upload(tx, upload, before))
                })
                .await?);
        }
        stats.journal_entries = self
            .txn((), move |tx, _| {
                Box::pin(blobs::prune_journal(tx, journal_before))
            })
            .await?;
        Ok(stats)
    }
}
