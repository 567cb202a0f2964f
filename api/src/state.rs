//! Shared per-process state of the API server.

use crate::auth::Tokens;
use eider_common::{Context, Shutdown};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub ctx: Context,
    pub tokens: Arc<Tokens>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Spam/ham training events (see `junk`).
    pub junk: tokio::sync::broadcast::Sender<crate::junk::JunkEvent>,
    pub webhooks: Arc<crate::junk::Webhooks>,
    /// Ends long-lived responses (event streams) on shutdown.
    pub shutdown: Shutdown,
}
