//! Messages as appended, summarised and stored, and the results of message operations.

use crate::types::{BlobId, MailboxId, ModSeq, ThreadId, Uid, UidValidity, UnixTime};
use crate::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A whole blob not stored yet, in the form `MailStore::blob_put` takes (zstd-compressed
/// chunks): stored together with the write that first refers to it
/// (`MailStore::append_with_blobs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingBlob {
    pub id: BlobId,
    /// Decoded bytes.
    pub size: u64,
    pub chunk_size: u32,
    pub chunks: Vec<Vec<u8>>,
}

/// What `append` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub flags: Flags,
    pub internal_date: UnixTime,
    /// The zone INTERNALDATE is shown in, minutes east of UTC.
    pub internal_tz_minutes: i16,
    pub segments: Vec<Segment>,
    /// Must equal the sum of the segments' encoded lengths.
    pub size: u64,
    /// SHA-256 of the message as received: every segment after the leading `Segment::Inline`
    /// prefix (the per-recipient Return-Path/Delivered-To lines LMTP prepends), so one hash
    /// covers the shared content of every recipient's copy. See [`crate::verify`].
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

impl NewMessage {
    /// The distinct blobs this message refers to (segments and the text blob).
    pub fn blobs(&self) -> BTreeSet<BlobId> {
        referenced_blobs(&self.segments, &self.meta)
    }
}

/// The distinct blobs a message holds one reference on each: those its segments name, plus its
/// text blob. The one rule every backend counts references by.
pub fn referenced_blobs(segments: &[Segment], meta: &MessageMeta) -> BTreeSet<BlobId> {
    let mut out: BTreeSet<BlobId> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob { blob, .. } => Some(*blob),
            Segment::Inline(_) => None,
        })
        .collect();
    out.extend(meta.text_blob);
    out
}

/// The light per-message record: what FETCH FLAGS, STATUS and sequence mapping need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub uid: Uid,
    pub modseq: ModSeq,
    pub flags: Flags,
    pub internal_date: UnixTime,
    pub internal_tz_minutes: i16,
    pub size: u64,
    pub thread: ThreadId,
}

/// A message with everything stored about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub mailbox: MailboxId,
    pub summary: MessageSummary,
    pub segments: Vec<Segment>,
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

/// Result of a successful append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub mailbox: MailboxId,
    pub uid_validity: UidValidity,
    pub uid: Uid,
    pub modseq: ModSeq,
}

/// Result of `set_flags`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlagsChanged {
    /// Messages whose flags changed, with their new modseq and flags.
    pub changed: Vec<(Uid, ModSeq, Flags)>,
    /// Messages skipped because their modseq was above UNCHANGEDSINCE (RFC 7162 §3.2).
    pub modified: Vec<Uid>,
}

/// Result of `copy_messages` / `move_messages`: source UID → destination UID, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub uid_validity: UidValidity,
    pub mapping: Vec<(Uid, Uid)>,
}
