//! Small builders the conformance tests share: users, blobs, messages, flag sets.
//!
//! Blobs are written through the trait's own primitives (`blob_begin` / `blob_put_chunk` /
//! `blob_commit`) in the documented format (64 KiB decoded chunks, each zstd-compressed), so the
//! suite does not depend on `content::BlobWriter` except in the tests that exercise it.

use eider_model::types::{BlobId, MailboxId, Uid, UnixTime, UserId};
use eider_model::{
    Flags, MessageMeta, NewMessage, NewUser, Segment, SystemFlags, Transfer, User, UserLimits,
};
use eider_store::error::StoreError;
use eider_store::mailstore::MailStore;
use sha2::{Digest, Sha256};

/// Decoded bytes per blob chunk (the content model's fixed chunk size).
pub const CHUNK: usize = 64 * 1024;

/// The widest UID range: every message of a mailbox.
pub fn all_uids() -> std::ops::RangeInclusive<Uid> {
    Uid(1)..=Uid(u32::MAX)
}

/// Seconds since the epoch, now.
pub fn now() -> UnixTime {
    chrono::Utc::now().timestamp()
}

/// A user with the given name and quota (0: unlimited).
pub async fn make_user(store: &dyn MailStore, name: &str, quota: u64) -> User {
    store
        .create_user(NewUser {
            username: name.to_string(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".into(),
            quota,
            limits: UserLimits::default(),
            spam_level: 50,
        })
        .await
        .unwrap_or_else(|e| panic!("create_user {name}: {e}"))
}

/// The id of a user's mailbox at `path`, which must exist.
pub async fn mailbox_id(store: &dyn MailStore, user: UserId, path: &str) -> MailboxId {
    store
        .find_mailbox(user, path)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("mailbox {path} missing"))
        .id
}

/// Stores `data` as a blob with the trait primitives; returns its id. Zero references.
pub async fn put_blob(store: &dyn MailStore, data: &[u8]) -> BlobId {
    try_put_blob(store, data).await.expect("put_blob")
}

/// [`put_blob`] returning the first error instead of panicking (aborts the upload on failure).
pub async fn try_put_blob(store: &dyn MailStore, data: &[u8]) -> Result<BlobId, StoreError> {
    let upload = store.blob_begin().await?;
    let mut chunks = 0u32;
    for (i, chunk) in data.chunks(CHUNK).enumerate() {
        let compressed = zstd::bulk::compress(chunk, 3).expect("zstd");
        if let Err(e) = store.blob_put_chunk(upload, i as u32, compressed).await {
            let _ = store.blob_abort(upload).await;
            return Err(e);
        }
        chunks += 1;
    }
    let id = BlobId(Sha256::digest(data).into());
    if let Err(e) = store
        .blob_commit(upload, id, data.len() as u64, CHUNK as u32, chunks)
        .await
    {
        let _ = store.blob_abort(upload).await;
        return Err(e);
    }
    Ok(id)
}

/// Deterministic pseudo-random bytes (so equal seeds give equal blobs).
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// A message of `prefix` inline bytes followed by the whole of each blob (`(id, size)`), in order.
/// Flags as given; the subject names the message for debugging.
pub fn message(prefix: &[u8], blobs: &[(BlobId, u64)], flags: Flags, subject: &str) -> NewMessage {
    let mut segments = vec![Segment::Inline(prefix.to_vec())];
    for &(blob, len) in blobs {
        segments.push(Segment::Blob {
            blob,
            offset: 0,
            len,
            transfer: Transfer::Identity,
            encoded_len: len,
        });
    }
    let size = segments.iter().map(Segment::encoded_len).sum();
    NewMessage {
        flags,
        internal_date: 1_700_000_000,
        internal_tz_minutes: 60,
        segments,
        size,
        // Not the real digest of the content: the store only keeps it, and tests compare it.
        sha256: Sha256::digest(subject.as_bytes()).into(),
        meta: MessageMeta {
            subject: Some(subject.to_string()),
            message_id: Some(format!("{subject}@conformance.test")),
            preview: subject.to_string(),
            ..MessageMeta::default()
        },
    }
}

/// A small message with one fresh blob (`seed` selects its bytes), `size` bytes in all.
pub async fn simple_message(
    store: &dyn MailStore,
    seed: u64,
    size: usize,
    flags: Flags,
) -> NewMessage {
    let prefix = b"Return-Path: <a@example.org>\r\n";
    let body_len = size.saturating_sub(prefix.len()).max(1);
    let body = bytes(seed, body_len);
    let blob = put_blob(store, &body).await;
    message(
        prefix,
        &[(blob, body.len() as u64)],
        flags,
        &format!("msg{seed}"),
    )
}

/// Appends `n` simple messages (`seed_base + i`), returning their UIDs.
pub async fn append_n(store: &dyn MailStore, mb: MailboxId, n: usize, seed_base: u64) -> Vec<Uid> {
    let mut uids = Vec::with_capacity(n);
    for i in 0..n {
        let msg = simple_message(store, seed_base + i as u64, 200, Flags::default()).await;
        uids.push(store.append(mb, msg).await.expect("append").uid);
    }
    uids
}

/// Flags with the given system bits and keywords.
pub fn flags(system: u8, keywords: &[&str]) -> Flags {
    Flags {
        system: SystemFlags(system),
        keywords: keywords.iter().map(|k| k.to_string()).collect(),
    }
}

/// `\Seen` alone.
pub fn seen() -> Flags {
    flags(SystemFlags::SEEN, &[])
}

/// Asserts that a result is the given error variant (by pattern), naming the call on failure.
#[macro_export]
#[doc(hidden)]
macro_rules! __assert_err {
    ($res:expr, $pat:pat, $what:expr) => {
        $crate::__assert_err!($res, $pat if true, $what)
    };
    ($res:expr, $pat:pat if $guard:expr, $what:expr) => {
        match $res {
            Err($pat) if $guard => {}
            Err(other) => panic!("{}: expected {}, got error {other:?}", $what, stringify!($pat)),
            Ok(v) => panic!("{}: expected {}, got Ok({v:?})", $what, stringify!($pat)),
        }
    };
}
pub use crate::__assert_err as assert_err;
