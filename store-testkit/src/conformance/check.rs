//! [`check_consistency`]: recounts everything a store keeps and compares it with what the store
//! says, through the trait only.
//!
//! Checked, for every user (paged through `list_users`) and mailbox:
//! - UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ are non-zero; `messages`, `unseen`, `size` equal a recount of `get_messages`; every UID is below
//!   `uid_next` and every message modseq at most `highest_modseq`;
//! - the user's `bytes_used` and `quota().used` equal the sum of message sizes, `quota().limit`
//!   equals the user's quota;
//! - the journal is ascending by modseq, never above `highest_modseq`, ends at `highest_modseq`,
//!   and, when it still starts with `MailboxCreated` (nothing pruned), replaying it gives exactly
//!   the stored UIDs, flags and per-message modseqs;
//! - every blob a message names exists, and every blob's `refs` equals the number of messages
//!   naming it (each distinct blob once per message) plus the explicit references the caller
//!   declares;
//! - every blob's chunks are all present, decompress to the right sizes and hash to its id.

use super::fixtures::all_uids;
use eider_model::types::{BlobId, MailboxId, ModSeq, Uid};
use eider_model::{BlobInfo, Change, Flags, JournalEntry, Segment, StoredMessage};
use eider_store::mailstore::MailStore;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

/// [`check_consistency_with`] assuming no explicit (`blob_ref`) references.
pub async fn check_consistency(store: &dyn MailStore) -> Result<(), String> {
    check_consistency_with(store, &BTreeMap::new()).await
}

/// The distinct blobs a stored message names (segments and text blob).
pub fn message_blobs(m: &StoredMessage) -> BTreeSet<BlobId> {
    let mut out: BTreeSet<BlobId> = m
        .segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob { blob, .. } => Some(*blob),
            Segment::Inline(_) => None,
        })
        .collect();
    out.extend(m.meta.text_blob);
    out
}

/// Full check; `explicit_refs` are references taken with `blob_ref` and not yet released.
pub async fn check_consistency_with(
    store: &dyn MailStore,
    explicit_refs: &BTreeMap<BlobId, u64>,
) -> Result<(), String> {
    let mut errors = Vec::new();
    let mut expected_refs: BTreeMap<BlobId, u64> = explicit_refs.clone();
    let mut after = None;
    loop {
        let users = store
            .list_users(after, 50)
            .await
            .map_err(|e| format!("list_users: {e}"))?;
        let Some(last) = users.last() else { break };
        after = Some(last.id);
        for user in users {
            let mut used = 0u64;
            let mailboxes = store
                .list_mailboxes(user.id)
                .await
                .map_err(|e| format!("list_mailboxes({}): {e}", user.id))?;
            for mb in mailboxes {
                let msgs = store
                    .get_messages(mb.id, all_uids())
                    .await
                    .map_err(|e| format!("get_messages({}): {e}", mb.path))?;
                let count = msgs.len() as u32;
                let unseen = msgs.iter().filter(|m| !m.summary.flags.seen()).count() as u32;
                let size: u64 = msgs.iter().map(|m| m.summary.size).sum();
                let name = format!("user {} mailbox {:?}", user.username, mb.path);
                // RFC 3501 §9 (nz-number), RFC 7162 §3.1.1 (HIGHESTMODSEQ of a mailbox is ≥ 1).
                if mb.uid_validity.0 == 0 || mb.uid_next.0 == 0 || mb.highest_modseq.0 == 0 {
                    errors.push(format!(
                        "{name}: UIDVALIDITY {}, UIDNEXT {}, HIGHESTMODSEQ {} must be non-zero",
                        mb.uid_validity, mb.uid_next, mb.highest_modseq
                    ));
                }
                if mb.user != user.id {
                    errors.push(format!("{name}: owner {} != {}", mb.user, user.id));
                }
                if (mb.messages, mb.unseen, mb.size) != (count, unseen, size) {
                    errors.push(format!(
                        "{name}: counters (messages, unseen, size) = {:?}, recount {:?}",
                        (mb.messages, mb.unseen, mb.size),
                        (count, unseen, size)
                    ));
                }
                for m in &msgs {
                    if m.summary.uid >= mb.uid_next {
                        errors.push(format!(
                            "{name}: uid {} >= uid_next {}",
                            m.summary.uid, mb.uid_next
                        ));
                    }
                    if m.summary.modseq > mb.highest_modseq {
                        errors.push(format!(
                            "{name}: uid {} modseq {} > highest {}",
                            m.summary.uid, m.summary.modseq, mb.highest_modseq
                        ));
                    }
                    if m.mailbox != mb.id {
                        errors.push(format!(
                            "{name}: uid {} says mailbox {}",
                            m.summary.uid, m.mailbox
                        ));
                    }
                    for b in message_blobs(m) {
                        *expected_refs.entry(b).or_default() += 1;
                    }
                }
                used += size;
                match store.changes_since(mb.id, ModSeq(0)).await {
                    Ok(journal) => {
                        check_journal(&name, mb.highest_modseq, &journal, &msgs, &mut errors)
                    }
                    Err(e) => errors.push(format!("{name}: changes_since: {e}")),
                }
            }
            if user.bytes_used != used {
                errors.push(format!(
                    "user {}: bytes_used {} != recount {used}",
                    user.username, user.bytes_used
                ));
            }
            match store.quota(user.id).await {
                Ok(q) if q.used != used || q.limit != user.quota => errors.push(format!(
                    "user {}: quota() {q:?}, expected used {used} limit {}",
                    user.username, user.quota
                )),
                Ok(_) => {}
                Err(e) => errors.push(format!("user {}: quota: {e}", user.username)),
            }
        }
    }
    check_blobs(store, &expected_refs, &mut errors).await?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}

async fn check_blobs(
    store: &dyn MailStore,
    expected: &BTreeMap<BlobId, u64>,
    errors: &mut Vec<String>,
) -> Result<(), String> {
    let mut seen = BTreeSet::new();
    let mut after = None;
    loop {
        let blobs = store
            .list_blobs(after, 100)
            .await
            .map_err(|e| format!("list_blobs: {e}"))?;
        let Some(last) = blobs.last() else { break };
        after = Some(last.id);
        for b in blobs {
            let want = expected.get(&b.id).copied().unwrap_or(0);
            if b.refs != want {
                errors.push(format!(
                    "blob {}: refs {} but {want} references",
                    b.id, b.refs
                ));
            }
            if let Err(e) = check_blob_content(store, &b).await {
                errors.push(format!("blob {}: {e}", b.id));
            }
            seen.insert(b.id);
        }
    }
    for (id, n) in expected {
        if *n > 0 && !seen.contains(id) {
            errors.push(format!("blob {id}: {n} references but not stored"));
        }
    }
    Ok(())
}

/// Replays a journal: UID → (flags, modseq of the last change). `None` when the journal does not
/// start with `MailboxCreated` (pruned) and so cannot be replayed.
pub fn replay(journal: &[JournalEntry]) -> Option<BTreeMap<Uid, (Flags, ModSeq)>> {
    if !matches!(
        journal.first().map(|e| &e.change),
        Some(Change::MailboxCreated { .. })
    ) {
        return None;
    }
    let mut state = BTreeMap::new();
    for e in journal {
        match &e.change {
            Change::Added { uid, flags } | Change::FlagsChanged { uid, flags } => {
                state.insert(*uid, (flags.clone(), e.modseq));
            }
            Change::Expunged { uid } => {
                state.remove(uid);
            }
            _ => {}
        }
    }
    Some(state)
}

fn check_journal(
    name: &str,
    highest: ModSeq,
    journal: &[JournalEntry],
    msgs: &[StoredMessage],
    errors: &mut Vec<String>,
) {
    let mbs: BTreeSet<MailboxId> = journal.iter().map(|e| e.mailbox).collect();
    if mbs.len() > 1 {
        errors.push(format!("{name}: journal mixes mailboxes {mbs:?}"));
    }
    if journal.windows(2).any(|w| w[0].modseq > w[1].modseq) {
        errors.push(format!("{name}: journal not ascending by modseq"));
    }
    match journal.last() {
        Some(last) if last.modseq != highest => errors.push(format!(
            "{name}: last journal modseq {} != highest_modseq {highest}",
            last.modseq
        )),
        _ => {}
    }
    let Some(state) = replay(journal) else { return };
    let stored: BTreeMap<Uid, (Flags, ModSeq)> = msgs
        .iter()
        .map(|m| (m.summary.uid, (m.summary.flags.clone(), m.summary.modseq)))
        .collect();
    if state != stored {
        let diff: Vec<String> = state
            .keys()
            .chain(stored.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|u| state.get(u) != stored.get(u))
            .take(5)
            .map(|u| {
                format!(
                    "uid {u}: journal {:?} stored {:?}",
                    state.get(u),
                    stored.get(u)
                )
            })
            .collect();
        errors.push(format!(
            "{name}: journal replay differs: {}",
            diff.join("; ")
        ));
    }
}

/// A blob's chunks are all there, each decompresses to `chunk_size` bytes (the last to the rest),
/// and together they hash to the blob's id.
async fn check_blob_content(store: &dyn MailStore, b: &BlobInfo) -> Result<(), String> {
    if b.chunk_size == 0 {
        return if b.size == 0 {
            Ok(())
        } else {
            Err("chunk_size 0".into())
        };
    }
    let n = b.size.div_ceil(u64::from(b.chunk_size));
    let mut hasher = Sha256::new();
    let mut total = 0u64;
    // A few chunks per call keeps memory small for large blobs.
    let mut next = 0u64;
    while next < n {
        let last = (next + 7).min(n - 1);
        let chunks = store
            .blob_chunks(b.id, next as u32..=last as u32)
            .await
            .map_err(|e| format!("blob_chunks {next}..={last}: {e}"))?;
        if chunks.len() as u64 != last - next + 1 {
            return Err(format!(
                "asked chunks {next}..={last}, got {}",
                chunks.len()
            ));
        }
        for (i, c) in chunks.iter().enumerate() {
            let data = zstd::stream::decode_all(&c[..])
                .map_err(|e| format!("chunk {}: {e}", next + i as u64))?;
            let idx = next + i as u64;
            let want = if idx + 1 < n {
                u64::from(b.chunk_size)
            } else {
                b.size - idx * u64::from(b.chunk_size)
            };
            if data.len() as u64 != want {
                return Err(format!(
                    "chunk {idx} holds {} bytes, expected {want}",
                    data.len()
                ));
            }
            total += data.len() as u64;
            hasher.update(&data);
        }
        next = last + 1;
    }
    if total != b.size || BlobId(hasher.finalize().into()) != b.id {
        return Err(format!("content ({total} bytes) does not hash to the id"));
    }
    Ok(())
}
