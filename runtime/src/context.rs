//! What a daemon is handed to run: the configuration, the store, the change bus, the counters
//! and the metrics.
//!
//! Build it with [`Context::new`] (in-process bus and counters: `eider serve`, tests) or
//! [`Context::from_config`] (Redis when `[redis] url` is set: the standalone daemons). The bus and
//! counters are fields rather than something reachable from the store because they are per
//! process, not per backend: the same store type serves both a single `eider serve` and many
//! processes sharing MongoDB.

use crate::bus::{Bus, BusError};
use crate::config::Config;
use crate::counters::{Counters, CountersError};
use crate::metrics::{Metrics, MetricsError};
use eider_store::mailstore::MailStore;
use std::sync::Arc;

/// Shared, immutable per-process state handed to every daemon's `run`.
#[derive(Clone)]
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<dyn MailStore>,
    /// Change notifications across processes (IDLE); see [`crate::bus`].
    pub bus: Bus,
    /// Connection leases, authentication failures, download bytes; see [`crate::counters`].
    pub counters: Counters,
    /// Counters, gauges and latencies of this process (and, with Redis, a view of every other
    /// process's); see [`crate::metrics`].
    pub metrics: Metrics,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(transparent)]
    Bus(#[from] BusError),
    #[error(transparent)]
    Counters(#[from] CountersError),
    #[error(transparent)]
    Metrics(#[from] MetricsError),
}

impl Context {
    /// In-process bus and counters, whatever `[redis]` says. Needs no runtime.
    pub fn new(config: Arc<Config>, store: Arc<dyn MailStore>) -> Self {
        let metrics = Metrics::in_process();
        metrics.watch_store(&store);
        Self {
            bus: Bus::in_process(Arc::clone(&store)),
            counters: Counters::in_process(),
            metrics,
            config,
            store,
        }
    }

    /// Redis-backed bus and counters when `[redis] url` is set, else as [`Context::new`]. Must
    /// run inside a tokio runtime; does not wait for Redis (it may be down at start).
    pub fn from_config(
        config: Arc<Config>,
        store: Arc<dyn MailStore>,
    ) -> Result<Self, ContextError> {
        let metrics = Metrics::from_config(&config)?;
        metrics.watch_store(&store);
        Ok(Self {
            bus: Bus::from_config(&config, Arc::clone(&store))?,
            counters: Counters::from_config(&config)?,
            metrics,
            config,
            store,
        })
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .field("bus", &self.bus)
            .finish_non_exhaustive()
    }
}

/// Cancelled when the process should stop accepting work and finish what is in flight.
pub type Shutdown = tokio_util::sync::CancellationToken;
