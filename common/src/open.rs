//! Opening the configured store backend.

use crate::config::{Backend, Config};
use crate::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::error::{StoreError, StoreResult};
use crate::store::MailStore;
use std::sync::Arc;

/// Opens the backend `config.store.backend` names: the embedded store in `config.data_dir`
/// (fails at once if another process holds that directory).
pub async fn open_store(config: &Config) -> StoreResult<Arc<dyn MailStore>> {
    match config.store.backend {
        Backend::Embedded => {
            let dir = config.data_dir.clone();
            let options = EmbeddedOptions {
                cache_size: usize::try_from(config.store.cache_mib)
                    .unwrap_or(usize::MAX / (1 << 20))
                    .saturating_mul(1 << 20),
                ..EmbeddedOptions::default()
            };
            let store = tokio::task::spawn_blocking(move || EmbeddedStore::open(&dir, options))
                .await
                .map_err(|e| StoreError::Internal(format!("opening the store: {e}")))??;
            Ok(Arc::new(store))
        }
        Backend::Mongodb => Err(StoreError::Unavailable(
            "MongoDB backend not built yet".into(),
        )),
    }
}
