//! Byte-exactness checks: rebuild a stored message from its segments and compare it with the
//! SHA-256 and size recorded at ingest (`eider verify` runs this over a whole store).
//!
//! The hash covers the message as received, i.e. the segments after the leading inline prefix
//! (see [`eider_model::NewMessage::sha256`]); the size covers every segment.

use crate::content::MessageReader;
use crate::error::StoreResult;
use crate::mailstore::MailStore;
use eider_model::{Segment, StoredMessage};
use sha2::{Digest, Sha256};

/// What rebuilding one message showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Intact,
    /// The rebuilt bytes do not hash to the recorded SHA-256.
    HashMismatch,
    /// The rebuilt length differs from the recorded size.
    SizeMismatch {
        recorded: u64,
        rebuilt: u64,
    },
}

/// Bytes read per window while rebuilding.
const WINDOW: u64 = 256 * 1024;

/// Rebuilds `message` (streaming, one window at a time) and checks it.
pub async fn verify_message(
    store: &dyn MailStore,
    message: &StoredMessage,
) -> StoreResult<Verdict> {
    let prefix: u64 = message
        .segments
        .iter()
        .take_while(|s| matches!(s, Segment::Inline(_)))
        .map(Segment::encoded_len)
        .sum();
    let mut reader = MessageReader::new(store, &message.segments).window(WINDOW);
    let mut hasher = Sha256::new();
    let mut pos = 0u64;
    while let Some(window) = reader.next_window().await? {
        let start = usize::try_from(prefix.saturating_sub(pos))
            .unwrap_or(usize::MAX)
            .min(window.len());
        hasher.update(&window[start..]);
        pos += window.len() as u64;
    }
    if pos != message.summary.size {
        return Ok(Verdict::SizeMismatch {
            recorded: message.summary.size,
            rebuilt: pos,
        });
    }
    let digest: [u8; 32] = hasher.finalize().into();
    Ok(if digest == message.sha256 {
        Verdict::Intact
    } else {
        Verdict::HashMismatch
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::put_blob;
    use crate::embedded::{EmbeddedOptions, EmbeddedStore};
    use eider_model::types::{MailboxId, ModSeq, ThreadId, Uid};
    use eider_model::{MessageSummary, Transfer};

    fn message(segments: Vec<Segment>, size: u64, sha256: [u8; 32]) -> StoredMessage {
        StoredMessage {
            mailbox: MailboxId(1),
            summary: MessageSummary {
                uid: Uid(1),
                modseq: ModSeq(1),
                flags: Default::default(),
                internal_date: 0,
                internal_tz_minutes: 0,
                size,
                thread: ThreadId(1),
            },
            segments,
            sha256,
            meta: Default::default(),
        }
    }

    #[tokio::test]
    async fn detects_intact_and_damaged_messages() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let body = b"Subject: x\r\n\r\nbody\r\n";
        let blob = put_blob(&store, body).await.unwrap().id;
        let seg = |len| Segment::Blob {
            blob,
            offset: 0,
            len,
            transfer: Transfer::Identity,
            encoded_len: len,
        };
        let prefix = Segment::Inline(b"Delivered-To: a@b\r\n".to_vec());
        let full = body.len() as u64;
        let size = full + prefix.encoded_len();
        let sha: [u8; 32] = Sha256::digest(body).into();
        let ok = message(vec![prefix.clone(), seg(full)], size, sha);
        assert_eq!(verify_message(&store, &ok).await.unwrap(), Verdict::Intact);
        let short = message(vec![prefix.clone(), seg(full - 1)], size, sha);
        assert!(matches!(
            verify_message(&store, &short).await.unwrap(),
            Verdict::SizeMismatch { .. }
        ));
        let wrong = message(vec![prefix, seg(full)], size, [0; 32]);
        assert_eq!(
            verify_message(&store, &wrong).await.unwrap(),
            Verdict::HashMismatch
        );
    }
}
