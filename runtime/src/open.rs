//! Opening the configured store backend.

use crate::config::{Backend, Config};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::error::{StoreError, StoreResult};
use eider_store::mailstore::MailStore;
use eider_store::mongo::{MongoOptions, MongoStore};
use std::sync::Arc;
use std::time::Duration;

/// Opens the backend `config.store.backend` names: the embedded store in `config.data_dir`
/// (fails at once if another process holds that directory), or the MongoDB database
/// `[mongodb] database` at `[mongodb] url` (creating its collections and indexes if missing;
/// `Unavailable` if no server answers within the server selection timeout).
pub async fn open_store(config: &Config) -> StoreResult<Arc<dyn MailStore>> {
    match config.store.backend {
        Backend::Embedded => Ok(Arc::new(open_embedded(config).await?)),
        Backend::Mongodb => {
            let store = MongoStore::connect(
                &config.mongodb.url,
                &config.mongodb.database,
                mongo_options(config),
            )
            .await?;
            Ok(Arc::new(store))
        }
    }
}

/// Opens the embedded store in `config.data_dir` with the configured page cache, whatever
/// `store.backend` says (for commands that read the embedded store's own layout, such as
/// `eider db stats`). Fails at once if another process holds the directory.
pub async fn open_embedded(config: &Config) -> StoreResult<EmbeddedStore> {
    let dir = config.data_dir.clone();
    let options = EmbeddedOptions {
        cache_size: usize::try_from(config.store.cache_mib)
            .unwrap_or(usize::MAX / (1 << 20))
            .saturating_mul(1 << 20),
        ..EmbeddedOptions::default()
    };
    tokio::task::spawn_blocking(move || EmbeddedStore::open(&dir, options))
        .await
        .map_err(|e| StoreError::Internal(format!("opening the store: {e}")))?
}

/// The MongoDB store's options from the configuration.
pub fn mongo_options(config: &Config) -> MongoOptions {
    let m = &config.mongodb;
    MongoOptions {
        server_selection_timeout: Duration::from_millis(m.server_selection_timeout_ms),
        max_pool_size: m.max_pool_size,
        write_concern: m.write_concern.clone(),
        journal_ttl: Duration::from_secs(u64::from(config.store.journal_days.max(1)) * 86_400),
        retry_budget: Duration::from_millis(m.transaction_retry_ms),
        ..MongoOptions::default()
    }
}
