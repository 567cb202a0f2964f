//! Shared per-process state of the API server. Nothing here is the source of truth: tokens,
//! webhooks and junk events live in the store, so any number of API processes can share it.

use crate::auth::Tokens;
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_store::junk::JunkEvent;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AppState {
    pub ctx: Context,
    pub tokens: Arc<Tokens>,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Spam/ham training events read from the outbox, for this process's event streams
    /// (see `outbox`).
    pub junk: tokio::sync::broadcast::Sender<JunkEvent>,
    /// Wakes the outbox workers after a move made through this process.
    pub outbox_wake: Arc<crate::outbox::Wake>,
    /// Webhook deliveries (rustls; see `junk::http_client`).
    pub http: reqwest::Client,
    /// Ends long-lived responses (event streams) on shutdown.
    pub shutdown: Shutdown,
}
