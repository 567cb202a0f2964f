//! The API's two outbox workers (see `eider_store::junk` for who writes the outbox).
//!
//! - **Publisher**: tails the outbox (`outbox_after`) and re-broadcasts each new entry to this
//!   process's event streams (`AppState::junk`, read by `GET /users/{user}/updates`). Every API
//!   process runs one, so an event recorded by imapd, or by another API process, reaches every
//!   SSE client. It starts at the end of the outbox: streams get live events only.
//! - **Dispatcher**: claims pending entries (`outbox_claim`, lease [`LEASE`]), delivers each to
//!   the webhooks (`crate::junk::deliver`) and marks it done. The claim makes one process
//!   deliver an event, even with many API processes on one store; if that process dies, the
//!   lease runs out and another one delivers it again: delivery is at least once (receivers
//!   deduplicate on the body's `id`). An entry claimed more than [`MAX_CLAIMS`] times is dropped.
//!
//! Both wake on [`Wake`] (a move made through this process) and otherwise poll every
//! [`POLL`], which bounds the delay of events recorded by other processes.

use crate::junk;
use crate::state::AppState;
use eider_model::OutboxEntry;
use eider_store::junk::JunkEvent;
use std::time::Duration;
use tokio::sync::watch;

/// How long a claimed entry is reserved for its deliverer: longer than [`junk::ATTEMPTS`]
/// attempts with their timeouts and backoff (5 × 10 s + 17 s).
pub const LEASE: Duration = Duration::from_secs(120);
/// Claims of one entry after which it is given up (the deliverer kept dying).
pub const MAX_CLAIMS: u32 = 5;
/// How often the outbox is read when nothing woke the workers.
pub const POLL: Duration = Duration::from_millis(500);
/// Entries read or claimed per store call.
const BATCH: usize = 64;

/// Wakes the workers of this process after a local write to the outbox.
pub type Wake = watch::Sender<u64>;

pub fn wake(w: &Wake) {
    w.send_modify(|n| *n = n.wrapping_add(1));
}

/// Starts both workers; they stop with `st.shutdown`.
pub fn spawn(st: &AppState) {
    tokio::spawn(publisher(st.clone()));
    tokio::spawn(dispatcher(st.clone()));
}

/// Waits for a wake-up, the poll interval or shutdown; `false` on shutdown.
async fn pause(st: &AppState, rx: &mut watch::Receiver<u64>) -> bool {
    tokio::select! {
        () = st.shutdown.cancelled() => false,
        _ = rx.changed() => true,
        () = tokio::time::sleep(POLL) => true,
    }
}

/// The event of an entry, with its outbox id.
fn event_of(entry: &OutboxEntry) -> Option<JunkEvent> {
    match JunkEvent::decode(&entry.payload) {
        Ok(mut ev) => {
            ev.id = Some(entry.id.to_string());
            Some(ev)
        }
        Err(e) => {
            tracing::error!(id = entry.id, error = %e, "unreadable outbox entry");
            None
        }
    }
}

async fn publisher(st: AppState) {
    let mut rx = st.outbox_wake.subscribe();
    let store = st.ctx.store.clone();
    // Skip what is already there: streams carry live events only.
    let mut cursor = 0;
    loop {
        match store.outbox_after(cursor, BATCH).await {
            Ok(batch) if batch.is_empty() => break,
            Ok(batch) => cursor = batch.last().map_or(cursor, |e| e.id),
            Err(e) => {
                tracing::warn!(error = %e, "reading the outbox");
                if !pause(&st, &mut rx).await {
                    return;
                }
            }
        }
    }
    while pause(&st, &mut rx).await {
        loop {
            let batch = match store.outbox_after(cursor, BATCH).await {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "reading the outbox");
                    break;
                }
            };
            for entry in &batch {
                cursor = entry.id;
                if let Some(ev) = event_of(entry) {
                    // No receiver (no open stream) is fine.
                    let _ = st.junk.send(ev);
                }
            }
            if batch.len() < BATCH {
                break;
            }
        }
    }
}

async fn dispatcher(st: AppState) {
    let mut rx = st.outbox_wake.subscribe();
    let store = st.ctx.store.clone();
    loop {
        let batch = match store.outbox_claim(LEASE, BATCH).await {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!(error = %e, "claiming outbox entries");
                Vec::new()
            }
        };
        if batch.is_empty() {
            if !pause(&st, &mut rx).await {
                return;
            }
            continue;
        }
        let hooks = match junk::hooks(store.as_ref()).await {
            Ok(h) => h,
            Err(e) => {
                // The leases run out and the entries are claimed again later.
                tracing::warn!(error = %e, "reading webhooks");
                if !pause(&st, &mut rx).await {
                    return;
                }
                continue;
            }
        };
        let sends = batch.iter().map(|entry| deliver_entry(&st, &hooks, entry));
        let done = futures::future::join_all(sends).await;
        for id in done.into_iter().flatten() {
            if let Err(e) = store.outbox_done(id).await {
                tracing::warn!(id, error = %e, "marking an outbox entry done");
            }
        }
        if st.shutdown.is_cancelled() {
            return;
        }
    }
}

/// Delivers one claimed entry; its id when it is finished with (delivered, given up, or
/// unreadable), `None` when shutdown interrupted it.
async fn deliver_entry(
    st: &AppState,
    hooks: &[(String, junk::Hook)],
    entry: &OutboxEntry,
) -> Option<u64> {
    if entry.claims > MAX_CLAIMS {
        tracing::error!(
            id = entry.id,
            "outbox entry given up after {MAX_CLAIMS} claims"
        );
        return Some(entry.id);
    }
    let Some(ev) = event_of(entry) else {
        return Some(entry.id);
    };
    let body = serde_json::to_string(&ev).ok()?;
    junk::deliver(&st.http, hooks, &ev.event, &body, &st.shutdown)
        .await
        .then_some(entry.id)
}
