//! What a daemon is handed to run: the configuration and the store.

use crate::config::Config;
use crate::store::MailStore;
use std::sync::Arc;

/// Shared, immutable per-process state handed to every daemon's `run`.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<dyn MailStore>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Cancelled when the process should stop accepting work and finish what is in flight.
pub type Shutdown = tokio_util::sync::CancellationToken;
