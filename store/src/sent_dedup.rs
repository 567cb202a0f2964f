//! Gmail-like de-duplication of messages saved to the `\Sent` mailbox, the one rule every path
//! that stores a client's message (IMAP APPEND, the API's upload) applies.
//!
//! Invariant: only a mailbox with the `\Sent` special use (RFC 6154) is ever de-duplicated, and
//! only against a message that has a Message-ID; everything else is stored as sent.

use crate::error::StoreResult;
use crate::ingest::find_by_message_id;
use crate::mailstore::MailStore;
use eider_model::types::Uid;
use eider_model::{Mailbox, SpecialUse};

/// The message already in `mailbox` that a new message with `message_id` duplicates, if any.
///
/// The rule: when `mailbox` is the `\Sent` mailbox and the new message has a Message-ID, a
/// message of that mailbox with the same Message-ID and an internal date in the last
/// [`crate::ingest::DEDUP_WINDOW_SECS`] (the copy `submit` stored when the message was sent) is
/// a duplicate: the caller stores nothing and answers with that message's UID. Otherwise (any
/// other mailbox, no Message-ID, no such recent message) it returns `None` and the caller
/// stores the message.
pub async fn sent_duplicate(
    store: &dyn MailStore,
    mailbox: &Mailbox,
    message_id: Option<&str>,
) -> StoreResult<Option<Uid>> {
    if mailbox.special_use != Some(SpecialUse::Sent) {
        return Ok(None);
    }
    let Some(message_id) = message_id else {
        return Ok(None);
    };
    find_by_message_id(store, mailbox.id, message_id).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::embedded::{EmbeddedOptions, EmbeddedStore};
    use crate::ingest::prepare_message;
    use eider_mime::Limits;
    use eider_model::NewUser;

    async fn store_one(store: &EmbeddedStore, mailbox: &Mailbox, raw: &[u8]) -> Uid {
        let p = prepare_message(store, raw, Limits::default())
            .await
            .unwrap();
        let now = chrono::Utc::now().timestamp();
        let (message, pending) = p.into_message(Default::default(), now, 0);
        let a = store
            .append_with_blobs(mailbox.id, message, pending)
            .await
            .unwrap();
        a.uid
    }

    #[tokio::test]
    async fn only_a_recent_sent_message_with_the_same_id_is_a_duplicate() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let user = store
            .create_user(NewUser {
                username: "u".into(),
                password_hash: String::new(),
                quota: 0,
                limits: Default::default(),
                spam_level: 0,
            })
            .await
            .unwrap();
        let sent = store
            .create_mailbox(user.id, "Sent-test", Some(SpecialUse::Sent))
            .await
            .unwrap();
        let other = store
            .create_mailbox(user.id, "Archive-test", None)
            .await
            .unwrap();
        let raw = b"Message-ID: <m1@example.org>\r\nSubject: s\r\n\r\nbody\r\n";
        let uid = store_one(&store, &sent, raw).await;
        store_one(&store, &other, raw).await;
        let mid = Some("m1@example.org");
        let cases = [
            (&sent, mid, Some(uid)),
            (&sent, Some("other@example.org"), None),
            (&sent, None, None),
            (&other, mid, None),
        ];
        for (mailbox, message_id, want) in cases {
            let got = sent_duplicate(&store, mailbox, message_id).await.unwrap();
            assert_eq!(got, want, "{} {message_id:?}", mailbox.path);
        }
    }
}
