//! Spam training signals: what a copy or move between mailboxes means, and how it is recorded.
//!
//! The store records the signals itself: `MailStore::copy_messages` and `move_messages`
//! classify the copy ([`classify`]) and, for a signal, append a [`JunkEvent`] to the store's
//! outbox ([`outbox_entry`]) in the same transaction as the copy, so every path that copies or
//! moves (IMAP COPY/MOVE, the API's `move_to`, anything later) emits it, and a crash can never
//! keep the move but lose its signal. Every API process publishes outbox entries to its event
//! streams and one of them delivers each to the webhooks; a move made while no API process runs
//! is delivered when one starts.
//!
//! Rules (docs/api.md, docs/imap.md): into `\Junk` from anywhere else is `marked.spam`; out of
//! `\Junk` into anything but `\Trash` is `marked.ham` (moving spam to the trash deletes it, it
//! does not say it was good mail). A COPY counts like a move: clients without MOVE (Thunderbird
//! on such servers) mark junk with COPY + `\Deleted` + EXPUNGE, and the copy is the signal.

use eider_model::types::{Uid, UnixTime};
use eider_model::{Mailbox, SpecialUse};
use serde::{Deserialize, Serialize};

/// Event name of a move into `\Junk`.
pub const SPAM: &str = "marked.spam";
/// Event name of a move out of `\Junk`.
pub const HAM: &str = "marked.ham";
/// How long an outbox entry is kept (and may still be delivered): seven days.
pub const OUTBOX_KEEP_SECS: i64 = 7 * 86_400;

/// The JSON body of a training signal (outbox payload, SSE data, webhook body).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JunkEvent {
    /// The outbox id, set when the event is published (receivers may deduplicate on it:
    /// delivery is at least once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// [`SPAM`] or [`HAM`].
    pub event: String,
    pub user_id: String,
    pub from_mailbox: String,
    pub to_mailbox: String,
    /// `[old uid, new uid]` pairs.
    pub messages: Vec<[u32; 2]>,
    /// Unix seconds of the move.
    pub at: UnixTime,
}

impl JunkEvent {
    /// Decodes an outbox payload written by [`outbox_entry`].
    pub fn decode(payload: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(payload)
    }
}

/// The signal a copy or move from `from` to `to` gives, if any.
pub fn classify(from: &Mailbox, to: &Mailbox) -> Option<&'static str> {
    let is = |m: &Mailbox, u: SpecialUse| m.special_use == Some(u);
    match (is(from, SpecialUse::Junk), is(to, SpecialUse::Junk)) {
        (false, true) => Some(SPAM),
        (true, false) if !is(to, SpecialUse::Trash) => Some(HAM),
        _ => None,
    }
}

/// The outbox payload and expiry of a copy/move from `from` to `to` at `at` (`mapping` = source
/// → new UIDs), or `None` when it is no signal or copied nothing. Store backends call this
/// inside the copy/move transaction (`MailStore::copy_messages`, `move_messages`).
pub fn outbox_entry(
    from: &Mailbox,
    to: &Mailbox,
    mapping: &[(Uid, Uid)],
    at: UnixTime,
) -> Option<(Vec<u8>, UnixTime)> {
    let event = classify(from, to)?;
    if mapping.is_empty() {
        return None;
    }
    let ev = JunkEvent {
        id: None,
        event: event.to_string(),
        user_id: from.user.0.to_string(),
        from_mailbox: from.id.0.to_string(),
        to_mailbox: to.id.0.to_string(),
        messages: mapping.iter().map(|(a, b)| [a.0, b.0]).collect(),
        at,
    };
    // A struct of strings and numbers always encodes.
    let payload = serde_json::to_vec(&ev).ok()?;
    Some((payload, at.saturating_add(OUTBOX_KEEP_SECS)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eider_model::types::{MailboxId, ModSeq, UidValidity, UserId};

    fn mb(id: u64, special_use: Option<SpecialUse>) -> Mailbox {
        Mailbox {
            id: MailboxId(id),
            user: UserId(1),
            path: format!("m{id}"),
            special_use,
            uid_validity: UidValidity(1),
            uid_next: Uid(1),
            highest_modseq: ModSeq(1),
            subscribed: true,
            retention_days: None,
            messages: 0,
            unseen: 0,
            size: 0,
        }
    }

    #[test]
    fn classify_table() {
        use SpecialUse::{Archive, Junk, Sent, Trash};
        let cases: [(Option<SpecialUse>, Option<SpecialUse>, Option<&str>); 8] = [
            (None, Some(Junk), Some(SPAM)),
            (Some(Trash), Some(Junk), Some(SPAM)),
            (Some(Sent), Some(Junk), Some(SPAM)),
            (Some(Junk), None, Some(HAM)),
            (Some(Junk), Some(Archive), Some(HAM)),
            (Some(Junk), Some(Trash), None),
            (Some(Junk), Some(Junk), None),
            (None, Some(Archive), None),
        ];
        for (from, to, want) in cases {
            assert_eq!(
                classify(&mb(1, from), &mb(2, to)),
                want,
                "{from:?} -> {to:?}"
            );
        }
    }
}
