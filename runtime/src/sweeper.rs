//! The background sweep: every `[store] sweep_interval_secs`, delete blobs nothing refers to that
//! are older than `blob_grace_secs` (so a delivery in flight, which commits its blobs before the
//! append that references them, is never robbed), stale uploads, and journal entries older than
//! `journal_days`. Sweeping is idempotent, so several processes may run it on a shared store.

use crate::config::StoreConfig;
use crate::context::Shutdown;
use eider_model::SweepStats;
use eider_store::error::StoreResult;
use eider_store::mailstore::MailStore;
use std::sync::Arc;
use std::time::Duration;

/// One sweep with the configured horizons, relative to `now` (Unix seconds).
pub async fn sweep_once(
    store: &dyn MailStore,
    cfg: &StoreConfig,
    now: i64,
) -> StoreResult<SweepStats> {
    let grace = i64::try_from(cfg.blob_grace_secs).unwrap_or(i64::MAX);
    let journal = i64::from(cfg.journal_days).saturating_mul(86_400);
    store
        .sweep(now.saturating_sub(grace), now.saturating_sub(journal))
        .await
}

/// Runs [`sweep_once`] every interval until `shutdown`.
pub fn spawn(store: Arc<dyn MailStore>, cfg: StoreConfig, shutdown: Shutdown) {
    if cfg.sweep_interval_secs == 0 {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(cfg.sweep_interval_secs));
        tick.tick().await; // the first tick is immediate: let start-up finish first
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = shutdown.cancelled() => return,
            }
            let now = chrono::Utc::now().timestamp();
            match sweep_once(&*store, &cfg, now).await {
                Ok(s) => tracing::info!(
                    blobs = s.blobs,
                    chunks = s.chunks,
                    uploads = s.uploads,
                    journal = s.journal_entries,
                    "sweep done"
                ),
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use eider_store::content::put_blob;
    use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};

    #[tokio::test]
    async fn removes_unreferenced_blobs_only_after_the_grace_period() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let id = put_blob(&store, b"orphan").await.unwrap().id;
        let cfg = StoreConfig {
            blob_grace_secs: 3600,
            ..StoreConfig::default()
        };
        let now = chrono::Utc::now().timestamp();
        assert_eq!(sweep_once(&store, &cfg, now).await.unwrap().blobs, 0);
        assert!(store.blob_info(id).await.unwrap().is_some());
        assert_eq!(sweep_once(&store, &cfg, now + 3601).await.unwrap().blobs, 1);
        assert!(store.blob_info(id).await.unwrap().is_none());
    }
}
