//! The Redis side of a [`super::Bus`]: a forwarder (local store events → local receivers and
//! `PUBLISH`) and a subscriber (`SUBSCRIBE` → local receivers), plus the poll tick while down.
//!
//! Wire format on [`CHANNEL`]: JSON `{"origin": u64, "user": .., "mailbox": .., "modseq": ..}`.
//! `origin` is random per bus instance, so a process drops its own echoes. Publishing is best
//! effort: a failed `PUBLISH` is logged at debug and dropped (the journal has the change; other
//! processes' subscribers tick while Redis is down and tick once when they reconnect).

use super::BusMessage;
use crate::redis_url::{MAX_BACKOFF, TIMEOUT, Target, manager};
use eider_model::StoreEvent;
use eider_store::mailstore::MailStore;
use futures::StreamExt;
use redis::aio::ConnectionManager;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

/// The Redis pub/sub channel every process publishes and subscribes to.
pub const CHANNEL: &str = "eider:events";

/// Queue of events waiting to be published; beyond it they are dropped (the journal has them).
const PUBLISH_QUEUE: usize = 4096;

#[derive(Serialize, Deserialize)]
struct Wire {
    origin: u64,
    #[serde(flatten)]
    event: StoreEvent,
}

/// The running tasks' shared state.
pub(super) struct Link {
    origin: u64,
    up: Arc<AtomicBool>,
    outbox: mpsc::Sender<StoreEvent>,
}

impl Link {
    pub(super) fn start(
        client: Target,
        store: Arc<dyn MailStore>,
        tx: broadcast::Sender<BusMessage>,
        poll: Duration,
        stop: CancellationToken,
    ) -> Self {
        let origin = rand::random::<u64>();
        let up = Arc::new(AtomicBool::new(false));
        let (outbox, queue) = mpsc::channel(PUBLISH_QUEUE);
        tokio::spawn(stop.clone().run_until_cancelled_owned(forward(
            store.subscribe(),
            tx.clone(),
            outbox.clone(),
        )));
        tokio::spawn(stop.clone().run_until_cancelled_owned(publish(
            client.clone(),
            origin,
            queue,
        )));
        tokio::spawn(stop.clone().run_until_cancelled_owned(listen(
            client,
            origin,
            tx.clone(),
            Arc::clone(&up),
        )));
        tokio::spawn(stop.run_until_cancelled_owned(tick(tx, Arc::clone(&up), poll)));
        Self { origin, up, outbox }
    }

    pub(super) fn origin(&self) -> u64 {
        self.origin
    }

    pub(super) fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub(super) fn publish(&self, event: StoreEvent) {
        // Full queue: Redis is slow or down; dropping is safe (see the module doc).
        let _ = self.outbox.try_send(event);
    }
}

/// Local store events: deliver here, queue for Redis.
async fn forward(
    mut events: broadcast::Receiver<StoreEvent>,
    tx: broadcast::Sender<BusMessage>,
    outbox: mpsc::Sender<StoreEvent>,
) {
    use broadcast::error::RecvError;
    loop {
        match events.recv().await {
            Ok(event) => {
                let _ = tx.send(BusMessage::Changed(event.clone()));
                let _ = outbox.try_send(event);
            }
            // We lost local events: our receivers re-check; other processes would need the
            // events we lost, but they tick on their own only while Redis is down, so this is
            // the one case where a remote wake-up is delayed until that session's next event.
            Err(RecvError::Lagged(n)) => {
                tracing::warn!("change bus: {n} local events skipped (slow forwarder)");
                let _ = tx.send(BusMessage::Tick);
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Drains the outbox into `PUBLISH`es on a self-reconnecting connection.
async fn publish(client: Target, origin: u64, mut queue: mpsc::Receiver<StoreEvent>) {
    let mut conn: Option<ConnectionManager> = None;
    while let Some(event) = queue.recv().await {
        if conn.is_none() {
            conn = manager(&client).await;
        }
        let Some(c) = conn.as_mut() else {
            continue;
        };
        let payload = match serde_json::to_string(&Wire { origin, event }) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!("change bus: encoding an event: {e}");
                continue;
            }
        };
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(CHANNEL)
            .arg(payload)
            .query_async(c)
            .await;
        if let Err(e) = sent {
            tracing::debug!("change bus: PUBLISH failed (event dropped, journal has it): {e}");
            // Reconnect through the target next time: after a Sentinel failover the master
            // has moved (the connection manager alone would retry the old address).
            conn = None;
        }
    }
}

/// Subscribes, re-broadcasts remote events, and reconnects with backoff when the stream ends.
async fn listen(
    client: Target,
    origin: u64,
    tx: broadcast::Sender<BusMessage>,
    up: Arc<AtomicBool>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match subscribe(&client).await {
            Ok(pubsub) => {
                backoff = Duration::from_millis(100);
                up.store(true, Ordering::Relaxed);
                tracing::info!("change bus: subscribed to {CHANNEL}");
                // Whatever happened while we were not subscribed is only in the journal.
                let _ = tx.send(BusMessage::Tick);
                let mut messages = pubsub.into_on_message();
                while let Some(msg) = messages.next().await {
                    let Ok(payload) = msg.get_payload::<Vec<u8>>() else {
                        continue;
                    };
                    match serde_json::from_slice::<Wire>(&payload) {
                        Ok(wire) if wire.origin != origin => {
                            let _ = tx.send(BusMessage::Changed(wire.event));
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!("change bus: bad message: {e}"),
                    }
                }
                up.store(false, Ordering::Relaxed);
                tracing::warn!("change bus: lost the Redis subscription; polling the journal");
            }
            Err(e) => tracing::debug!("change bus: subscribe failed: {e}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

async fn subscribe(target: &Target) -> redis::RedisResult<redis::aio::PubSub> {
    let client = target.client().await?;
    let mut pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub())
        .await
        .map_err(|_| {
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
        })??;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub)
}

/// While the subscription is down, wakes every receiver every `poll` to check the journal.
async fn tick(tx: broadcast::Sender<BusMessage>, up: Arc<AtomicBool>, poll: Duration) {
    let mut interval = tokio::time::interval(poll);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        if !up.load(Ordering::Relaxed) {
            let _ = tx.send(BusMessage::Tick);
        }
    }
}
