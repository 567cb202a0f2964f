//! Who gets `\Recent`: the per-mailbox "recent horizon" shared by the sessions of one process.
//!
//! RFC 3501 §2.3.2: a message is recent in exactly one session, the first one notified of it.
//! The registry keeps, per mailbox, the highest UID any read-write session has already been
//! notified of (the *horizon*). A read-write view that observes UIDs above the horizon *claims*
//! them: they are recent in that view only, and the horizon moves up to the highest UID it saw.
//! Claiming is one critical section, so two sessions never both claim a UID.
//!
//! EXAMINE (read-only) views never claim (RFC 3501 §6.3.2: EXAMINE must not make messages lose
//! `\Recent`); they report messages above the horizon as recent without moving it.
//!
//! Scope and the multi-process rule: the registry is process-local. When a mailbox is first seen
//! in a process the caller seeds its horizon ([`RecentRegistry::claim`]'s `seed`). Seeding with the
//! mailbox's `uid_next - 1` at process start means mail delivered while no imapd ran is never
//! recent; seeding with 0 means the first session after a restart sees everything as recent. With
//! several imapd processes on one store each process has its own horizon, so a message can be
//! recent in one session *per process*; making it exactly one across processes needs the horizon
//! stored in the mailbox record with an atomic compare-and-raise in the store (not in the
//! `MailStore` trait today). A change of UIDVALIDITY resets the horizon.

use eider_model::types::{MailboxId, Uid, UidValidity};
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Clone, Copy, Debug)]
struct Horizon {
    uid_validity: UidValidity,
    /// Highest UID some read-write session has been notified of.
    claimed: Uid,
}

/// In-process `\Recent` bookkeeping, shared by all sessions (hold it in an `Arc`).
#[derive(Debug, Default)]
pub struct RecentRegistry {
    horizons: Mutex<HashMap<MailboxId, Horizon>>,
}

impl RecentRegistry {
    pub fn new() -> Self {
        Self::default()
    }

    /// A read-write session has now been notified of every UID up to `up_to`. Returns the
    /// previous horizon: UIDs in `previous < uid <= up_to` are recent in the calling session.
    /// `seed` is the horizon used when this process has not seen the mailbox (or its
    /// UIDVALIDITY) before.
    pub fn claim(&self, mailbox: MailboxId, validity: UidValidity, up_to: Uid, seed: Uid) -> Uid {
        let mut map = self.lock();
        let h = Self::entry(&mut map, mailbox, validity, seed);
        let previous = h.claimed;
        if up_to > h.claimed {
            h.claimed = up_to;
        }
        previous
    }

    /// The current horizon without claiming (read-only sessions).
    pub fn peek(&self, mailbox: MailboxId, validity: UidValidity, seed: Uid) -> Uid {
        let mut map = self.lock();
        Self::entry(&mut map, mailbox, validity, seed).claimed
    }

    fn entry(
        map: &mut HashMap<MailboxId, Horizon>,
        mailbox: MailboxId,
        validity: UidValidity,
        seed: Uid,
    ) -> &mut Horizon {
        let h = map.entry(mailbox).or_insert(Horizon {
            uid_validity: validity,
            claimed: seed,
        });
        if h.uid_validity != validity {
            *h = Horizon {
                uid_validity: validity,
                claimed: seed,
            };
        }
        h
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<MailboxId, Horizon>> {
        // A panic while holding this lock cannot leave the map inconsistent (every update is a
        // single assignment), so a poisoned lock is still safe to use.
        self.horizons
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn claims_are_exclusive_and_monotonic() {
        let r = RecentRegistry::new();
        let (m, v) = (MailboxId(1), UidValidity(7));
        // (up_to, expected previous horizon)
        let table = [(5, 0), (5, 5), (3, 5), (9, 5), (9, 9)];
        for (up_to, prev) in table {
            assert_eq!(
                r.claim(m, v, Uid(up_to), Uid(0)),
                Uid(prev),
                "claim {up_to}"
            );
        }
        assert_eq!(r.peek(m, v, Uid(0)), Uid(9));
        // New UIDVALIDITY: horizon restarts from the seed.
        assert_eq!(r.claim(m, UidValidity(8), Uid(2), Uid(1)), Uid(1));
        // Another mailbox is independent and seeded.
        assert_eq!(r.peek(MailboxId(2), v, Uid(4)), Uid(4));
    }
}
