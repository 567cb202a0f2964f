//! The per-user limits of POP3, kept in `ctx.counters` (`eider_runtime::counters`): with `[redis]`
//! set they hold across every `eider-pop3d` process; without it, within the process.
//!
//! - **Maildrop lock** (RFC 1939 §8, exclusive access): a connection lease with limit 1 on key
//!   `pop3:<user id>`, taken at login and released when the session ends however it ends. The
//!   lease of a crashed process expires after `[redis] lease_ttl_secs`.
//! - **Daily download bytes**: `add_download` on the same key, counted per UTC day (the
//!   counters reset at midnight UTC).
//!
//! If Redis fails, the counters fall back to this process's own count (see the counters module),
//! so a lock taken during an outage only excludes sessions of the same process.

use eider_model::types::UserId;
use eider_runtime::counters::{Counters, Lease};

/// The counters key of a user's POP3 lock and downloads.
fn key(user: UserId) -> String {
    format!("pop3:{}", user.0)
}

/// Takes the maildrop of `user`, or `None` if another session (in any process) holds it.
pub async fn lock_maildrop(counters: &Counters, user: UserId) -> Option<Lease> {
    counters.acquire(&key(user), 1).await
}

/// Whether `want` more bytes fit under `limit` (0: unlimited) after `used`.
pub fn allows(used: u64, limit: u64, want: u64) -> bool {
    limit == 0 || used.saturating_add(want) <= limit
}

/// Whether `user` may download `want` more bytes today under `limit` (0: unlimited).
pub async fn download_allowed(counters: &Counters, user: UserId, limit: u64, want: u64) -> bool {
    if limit == 0 {
        return true;
    }
    allows(counters.downloaded_today(&key(user)).await, limit, want)
}

/// Records `n` bytes sent to `user` today.
pub async fn add_downloaded(counters: &Counters, user: UserId, n: u64) {
    counters.add_download(&key(user), n).await;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_maildrop_is_held_once_until_released() {
        let counters = Counters::in_process();
        let a = lock_maildrop(&counters, UserId(1)).await.unwrap();
        assert!(lock_maildrop(&counters, UserId(1)).await.is_none());
        let b = lock_maildrop(&counters, UserId(2)).await;
        assert!(b.is_some());
        drop(a);
        assert!(lock_maildrop(&counters, UserId(1)).await.is_some());
    }

    #[tokio::test]
    async fn downloads_count_per_user() {
        let counters = Counters::in_process();
        let u = UserId(1);
        assert!(download_allowed(&counters, u, 100, 100).await);
        add_downloaded(&counters, u, 60).await;
        assert!(download_allowed(&counters, u, 100, 40).await);
        assert!(!download_allowed(&counters, u, 100, 41).await);
        assert!(download_allowed(&counters, u, 0, u64::MAX).await);
        assert!(download_allowed(&counters, UserId(2), 100, 100).await);
    }

    #[test]
    fn allows_is_inclusive_and_zero_is_unlimited() {
        let cases = [
            (0, 100, 100, true),
            (60, 100, 40, true),
            (60, 100, 41, false),
            (u64::MAX, 100, 1, false),
            (u64::MAX, 0, u64::MAX, true),
        ];
        for (used, limit, want, ok) in cases {
            assert_eq!(allows(used, limit, want), ok, "{used} {limit} {want}");
        }
    }
}
