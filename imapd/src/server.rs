//! The accept loop: one task per connection, a global connection limit, per-user connection
//! counting, and graceful shutdown (stop accepting, let every session say BYE, wait for them).
//!
//! Invariant: every spawned connection task is tracked, so `run` returns only after all of
//! them ended.

use crate::conn;
use crate::mailbox::recent::RecentRegistry;
use eider_common::types::UserId;
use eider_common::{Context, Shutdown};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

/// How long shutdown waits for sessions to finish their current command.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Limits and timers of the server (the configuration has no keys for them yet; tests shorten
/// them through [`run_with`]).
#[derive(Clone, Debug)]
pub struct Options {
    /// Connections served at once by this process; more are greeted with BYE.
    pub max_connections: usize,
    /// Idle time allowed before login.
    pub pre_login_timeout: Duration,
    /// Idle time allowed after login, IDLE included (RFC 3501 §5.4: at least 30 minutes).
    pub idle_timeout: Duration,
    /// How often IDLE re-reads the journal even without a change event.
    pub idle_poll: Duration,
    /// How often IDLE sends `* OK Still here`.
    pub idle_keepalive: Duration,
    /// Bad commands tolerated before the connection is closed.
    pub max_errors: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_connections: 2048,
            pre_login_timeout: Duration::from_secs(60),
            idle_timeout: Duration::from_secs(30 * 60),
            idle_poll: Duration::from_secs(30),
            idle_keepalive: Duration::from_secs(120),
            max_errors: 20,
        }
    }
}

/// State shared by every connection of this process.
pub struct Shared {
    pub ctx: Context,
    pub options: Options,
    /// Who gets `\Recent` (process-local, see [`crate::mailbox::recent`]).
    pub recent: Arc<RecentRegistry>,
    users: Mutex<HashMap<UserId, u32>>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared").finish_non_exhaustive()
    }
}

/// One counted login; dropping it releases the slot.
#[derive(Debug)]
pub struct UserSlot {
    shared: Arc<Shared>,
    user: UserId,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut map = self.shared.lock_users();
        if let Some(n) = map.get_mut(&self.user) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.user);
            }
        }
    }
}

impl Shared {
    pub fn new(ctx: Context, options: Options) -> Self {
        Shared {
            ctx,
            options,
            recent: Arc::new(RecentRegistry::new()),
            users: Mutex::new(HashMap::new()),
        }
    }

    fn lock_users(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, u32>> {
        // Every update is a single counter change: a poisoned map is still consistent.
        self.users
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes one of the user's `limit` connection slots, or `None` when all are in use.
    pub fn claim_user(self: &Arc<Self>, user: UserId, limit: u32) -> Option<UserSlot> {
        let mut map = self.lock_users();
        let n = map.entry(user).or_insert(0);
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(UserSlot {
            shared: Arc::clone(self),
            user,
        })
    }
}

/// Serves IMAP on `listener` until `shutdown` is cancelled.
pub async fn run(listener: TcpListener, ctx: Context, shutdown: Shutdown) -> anyhow::Result<()> {
    run_with(listener, ctx, shutdown, Options::default()).await
}

/// [`run`] with explicit limits and timers.
pub async fn run_with(
    listener: TcpListener,
    ctx: Context,
    shutdown: Shutdown,
    options: Options,
) -> anyhow::Result<()> {
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let shared = Arc::new(Shared::new(ctx, options));
    let tracker = TaskTracker::new();
    let mut next_id: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        next_id += 1;
        let _ = stream.set_nodelay(true);
        let span = tracing::info_span!("imap", conn = next_id, %peer, user = tracing::field::Empty);
        let permit = Arc::clone(&slots).try_acquire_owned().ok();
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        tracker.spawn(
            async move {
                match permit {
                    Some(_permit) => conn::serve(stream, peer, shared, shutdown).await,
                    None => conn::refuse(stream).await,
                }
            }
            .instrument(span),
        );
    }
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!(
            open = tracker.len(),
            "sessions still open after the shutdown grace period"
        );
    }
    Ok(())
}
