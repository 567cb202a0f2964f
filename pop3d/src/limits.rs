//! Per-process bookkeeping shared by all connections: which maildrops are held by a POP3 session,
//! and how many bytes each user downloaded today.
//!
//! Both live in this process only. With several `eider-pop3d` processes in front of one store
//! (the scale-out issue), a user could hold one session per process and download the daily limit
//! once per process; the Redis-backed lock and counter that close this gap come with scale-out.
//!
//! Invariants: a maildrop is held by at most one [`MaildropLock`] at a time in this process, and
//! it is released when the guard drops, however the session ends. The counter for a user only
//! counts bytes of the current UTC day; yesterday's bytes are forgotten at midnight UTC.

use eider_common::types::UserId;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these short critical sections cannot leave them inconsistent.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Maildrops held by a session in TRANSACTION state (RFC 1939 §8: exclusive access).
#[derive(Debug, Default)]
pub struct Locks {
    held: Mutex<HashSet<UserId>>,
}

/// Holds a user's maildrop until dropped.
#[derive(Debug)]
pub struct MaildropLock {
    locks: Arc<Locks>,
    user: UserId,
}

impl Locks {
    /// Takes the maildrop of `user`, or `None` if another session holds it.
    pub fn try_lock(self: &Arc<Self>, user: UserId) -> Option<MaildropLock> {
        lock(&self.held).insert(user).then(|| MaildropLock {
            locks: self.clone(),
            user,
        })
    }
}

impl Drop for MaildropLock {
    fn drop(&mut self) {
        lock(&self.locks.held).remove(&self.user);
    }
}

/// A UTC day number (days since the Unix epoch).
pub type Day = i64;

/// The day of a Unix timestamp, in UTC.
pub fn day_of(unix_secs: i64) -> Day {
    unix_secs.div_euclid(86_400)
}

/// Bytes downloaded per user per UTC day.
#[derive(Debug, Default)]
pub struct Downloads {
    used: Mutex<HashMap<UserId, (Day, u64)>>,
}

impl Downloads {
    /// Bytes `user` downloaded on `day`.
    pub fn used(&self, user: UserId, day: Day) -> u64 {
        match lock(&self.used).get(&user) {
            Some(&(d, n)) if d == day => n,
            _ => 0,
        }
    }

    /// Whether `user` may download `want` more bytes on `day` under `limit` (0: unlimited).
    pub fn allows(&self, user: UserId, day: Day, limit: u64, want: u64) -> bool {
        limit == 0 || self.used(user, day).saturating_add(want) <= limit
    }

    /// Records `n` bytes sent to `user` on `day`.
    pub fn add(&self, user: UserId, day: Day, n: u64) {
        let mut used = lock(&self.used);
        if used.len() > 4096 {
            // Keep the map to today's users.
            used.retain(|_, (d, _)| *d == day);
        }
        let entry = used.entry(user).or_insert((day, 0));
        if entry.0 != day {
            *entry = (day, 0);
        }
        entry.1 = entry.1.saturating_add(n);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_maildrop_is_held_once_until_released() {
        let locks = Arc::new(Locks::default());
        let a = locks.try_lock(UserId(1)).unwrap();
        assert!(locks.try_lock(UserId(1)).is_none());
        let b = locks.try_lock(UserId(2));
        assert!(b.is_some());
        drop(a);
        assert!(locks.try_lock(UserId(1)).is_some());
    }

    #[test]
    fn downloads_count_per_user_per_utc_day() {
        let d = Downloads::default();
        let (u, today) = (UserId(1), day_of(1_700_000_000));
        assert_eq!(day_of(-1), -1);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        assert!(d.allows(u, today, 100, 100));
        d.add(u, today, 60);
        assert!(d.allows(u, today, 100, 40));
        assert!(!d.allows(u, today, 100, 41));
        assert!(d.allows(u, today, 0, u64::MAX));
        assert!(d.allows(UserId(2), today, 100, 100));
        assert!(
            d.allows(u, today + 1, 100, 100),
            "a new day starts from zero"
        );
        d.add(u, today + 1, 10);
        assert_eq!(d.used(u, today + 1), 10);
        assert_eq!(d.used(u, today), 0);
    }
}
