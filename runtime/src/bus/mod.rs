//! The change bus: how a daemon learns that a mailbox changed, in this process or in another one.
//!
//! Every store backend broadcasts a [`StoreEvent`] after each commit (`MailStore::subscribe`), but
//! only to its own process. A [`Bus`] adds what separate processes need:
//! - in-process ([`Bus::in_process`]): receivers see the local store's events, nothing more; no
//!   task, no Redis (`eider serve`, tests);
//! - Redis ([`Bus::redis`], chosen by [`Bus::from_config`] when `[redis] url` is set): a
//!   forwarder task publishes every local event on the Redis channel [`CHANNEL`] and delivers it
//!   locally; a subscriber task re-broadcasts other processes' events (its own echoes, recognised
//!   by the origin id, are dropped) and reconnects with backoff.
//!
//! Invariant: the journal in the store is the source of truth and a message on the bus is only a
//! wake-up. A receiver that may have missed events gets [`BusMessage::Tick`], meaning "check the
//! journal now": after it lagged behind, after the Redis subscription was (re)established, and
//! every `[redis] poll_interval_secs` while Redis is unreachable. So a lost Redis message only
//! delays an update, never loses it.

mod redis;

use crate::config::Config;
use eider_model::StoreEvent;
use eider_store::mailstore::MailStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

pub use self::redis::CHANNEL;

/// Capacity of a Redis bus's local re-broadcast (a slower receiver gets a `Tick`).
const LOCAL_CAPACITY: usize = 4096;

/// What a bus receiver yields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BusMessage {
    /// A mailbox changed (here or in another process): read the journal past your modseq.
    Changed(StoreEvent),
    /// Events may have been missed: check the journal of what you watch.
    Tick,
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("[redis] url: {0}")]
    Config(String),
}

/// A handle to this process's change bus; cheap to clone.
#[derive(Clone)]
pub struct Bus {
    inner: Arc<Inner>,
}

enum Inner {
    Local(Arc<dyn MailStore>),
    Shared(Shared),
}

struct Shared {
    tx: broadcast::Sender<BusMessage>,
    redis: redis::Link,
    /// Stops the tasks when the last handle goes away.
    stop: CancellationToken,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl std::fmt::Debug for Bus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.inner {
            Inner::Local(_) => f.write_str("Bus(in-process)"),
            Inner::Shared(s) => f
                .debug_struct("Bus")
                .field("origin", &s.redis.origin())
                .field("redis_up", &s.redis.is_up())
                .finish(),
        }
    }
}

impl Bus {
    /// The store's own broadcast, nothing more. Needs no runtime.
    pub fn in_process(store: Arc<dyn MailStore>) -> Self {
        Self {
            inner: Arc::new(Inner::Local(store)),
        }
    }

    /// Redis when `[redis] url` is set, else in-process. Must be called inside a tokio runtime
    /// (it spawns the forwarder and subscriber tasks); does not wait for Redis to be reachable.
    pub fn from_config(config: &Config, store: Arc<dyn MailStore>) -> Result<Self, BusError> {
        if config.redis.url.is_empty() {
            return Ok(Self::in_process(store));
        }
        let poll = Duration::from_secs(config.redis.poll_interval_secs.max(1));
        Self::redis(&config.redis.url, store, poll)
    }

    /// A Redis bus over `url` (see `docs/scaling.md` for the accepted forms), ticking every `poll`
    /// while the subscription is down.
    pub fn redis(url: &str, store: Arc<dyn MailStore>, poll: Duration) -> Result<Self, BusError> {
        let client = crate::redis_url::client(url).map_err(BusError::Config)?;
        let (tx, _) = broadcast::channel(LOCAL_CAPACITY);
        let stop = CancellationToken::new();
        let link = redis::Link::start(client, store, tx.clone(), poll, stop.clone());
        Ok(Self {
            inner: Arc::new(Inner::Shared(Shared {
                tx,
                redis: link,
                stop,
            })),
        })
    }

    /// A receiver of every change from now on.
    pub fn subscribe(&self) -> BusReceiver {
        match &*self.inner {
            Inner::Local(store) => BusReceiver {
                rx: Rx::Local(store.subscribe()),
            },
            Inner::Shared(s) => BusReceiver {
                rx: Rx::Shared(s.tx.subscribe()),
            },
        }
    }

    /// Announces a change made outside this process's store handle (the store's own commits are
    /// forwarded already; daemons do not need to call this). Best effort.
    pub fn publish(&self, event: StoreEvent) {
        match &*self.inner {
            // Nothing to reach beyond the store's own broadcast.
            Inner::Local(_) => {}
            Inner::Shared(s) => {
                let _ = s.tx.send(BusMessage::Changed(event.clone()));
                s.redis.publish(event);
            }
        }
    }

    /// Whether cross-process notifications currently flow (always true in-process).
    pub fn is_connected(&self) -> bool {
        match &*self.inner {
            Inner::Local(_) => true,
            Inner::Shared(s) => s.redis.is_up(),
        }
    }
}

enum Rx {
    Local(broadcast::Receiver<StoreEvent>),
    Shared(broadcast::Receiver<BusMessage>),
}

/// Yields [`BusMessage`]s; see the module doc for when a `Tick` comes.
pub struct BusReceiver {
    rx: Rx,
}

impl std::fmt::Debug for BusReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BusReceiver")
    }
}

impl BusReceiver {
    /// The next message; `None` once the bus (or the store) is gone.
    pub async fn recv(&mut self) -> Option<BusMessage> {
        use broadcast::error::RecvError;
        match &mut self.rx {
            Rx::Local(rx) => match rx.recv().await {
                Ok(event) => Some(BusMessage::Changed(event)),
                Err(RecvError::Lagged(_)) => Some(BusMessage::Tick),
                Err(RecvError::Closed) => None,
            },
            Rx::Shared(rx) => match rx.recv().await {
                Ok(message) => Some(message),
                Err(RecvError::Lagged(_)) => Some(BusMessage::Tick),
                Err(RecvError::Closed) => None,
            },
        }
    }
}

#[cfg(test)]
mod tests;
