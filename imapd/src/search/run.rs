//! The async SEARCH driver: loads facts in stages and evaluates the key (see [`super::eval`]).
//!
//! Cost model: one `list_messages` for the whole selected range; `get_messages` only for
//! messages the summaries could not decide, in batches of at most [`BATCH`] messages spanning at
//! most [`SPAN`] UIDs (so sparse candidates never pull in long runs of other records, and memory
//! stays bounded); one text blob read per message still undecided after its headers, with up
//! to [`TEXT_READS`] reads in flight.
//!
//! CPU bounds: every evaluation loop, and the evaluation or decoding of any text over
//! [`HEAVY_TEXT`], runs through [`off_worker`] (so a slow search never holds
//! an async worker other connections need) and checks the deadline before each message; past it
//! the search stops with [`SearchError::TimeLimit`].

use super::eval::{Facts, eval, needs};
use super::result::SearchOutcome;
use super::{MAX_STRING_BYTES, Query, TIME_BUDGET};
use crate::mailbox::SelectedView;
use eider_model::types::{BlobId, ModSeq, Uid, UnixTime};
use eider_model::{MessageMeta, MessageSummary};
use eider_store::MailStore;
use eider_store::StoreError;
use eider_store::content::codec::decompress_chunk;
use futures::stream::{self, StreamExt};
use std::time::{Duration, Instant};

/// Most full records loaded by one `get_messages` call.
const BATCH: usize = 256;
/// Widest UID range one `get_messages` call may cover.
const SPAN: u32 = 1024;
/// Text blob reads kept in flight at once.
const TEXT_READS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A search string is longer than [`MAX_STRING_BYTES`].
    #[error("search string longer than {max} bytes")]
    TooLong { max: usize },
    /// The search ran past its time budget.
    #[error("search ran longer than {0:?}")]
    TimeLimit(Duration),
}

/// Texts at least this long are decoded and searched off the async workers; shorter ones are
/// not worth the hand-off (it costs a thread switch per message).
const HEAVY_TEXT: usize = 256 * 1024;

/// Runs `f` without holding an async worker: on a multi-thread runtime the worker hands its
/// other tasks to another thread for the duration (`block_in_place`); elsewhere (a
/// current-thread runtime, a plain thread) it just runs.
fn off_worker<R>(f: impl FnOnce() -> R) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// The point in time a search must stop at.
#[derive(Clone, Copy)]
struct Deadline(Instant, Duration);

impl Deadline {
    fn check(self) -> Result<(), SearchError> {
        if Instant::now() > self.0 {
            return Err(SearchError::TimeLimit(self.1));
        }
        Ok(())
    }
}

/// A message the summaries could not decide.
#[derive(Clone, Copy)]
struct Pending {
    seq: u32,
    summary: usize,
}

/// Runs `key` over the messages of `view` (as the client knows them) within [`TIME_BUDGET`].
/// Messages expunged in the store but not yet reported to the client never match. `now` is for
/// OLDER/YOUNGER.
pub async fn search(
    store: &dyn MailStore,
    view: &SelectedView,
    key: &Query,
    now: UnixTime,
) -> Result<SearchOutcome, SearchError> {
    search_within(store, view, key, now, TIME_BUDGET).await
}

/// [`search`] with an explicit time budget.
pub async fn search_within(
    store: &dyn MailStore,
    view: &SelectedView,
    key: &Query,
    now: UnixTime,
    budget: Duration,
) -> Result<SearchOutcome, SearchError> {
    if key.longest_string() > MAX_STRING_BYTES {
        return Err(SearchError::TooLong {
            max: MAX_STRING_BYTES,
        });
    }
    let deadline = Deadline(Instant::now() + budget, budget);
    let uids = view.uids();
    let (Some(&first), Some(&last)) = (uids.first(), uids.last()) else {
        return Ok(SearchOutcome::default());
    };
    let summaries = store.list_messages(view.mailbox(), first..=last).await?;
    let facts = |seq, s| summary_facts(view, seq, s, now);
    let mut matched: Vec<(u32, Uid, ModSeq)> = Vec::new();
    let mut undecided: Vec<Pending> = Vec::new();
    off_worker(|| {
        for (seq, uid) in (1u32..).zip(uids) {
            deadline.check()?;
            let Ok(i) = summaries.binary_search_by_key(uid, |s| s.uid) else {
                continue;
            };
            let s = &summaries[i];
            match eval(key, &facts(seq, s)) {
                Some(true) => matched.push((seq, s.uid, s.modseq)),
                Some(false) => {}
                None => undecided.push(Pending { seq, summary: i }),
            }
        }
        Ok::<_, SearchError>(())
    })?;
    if !undecided.is_empty() && needs(key).0 {
        let uid_of = |p: &Pending| summaries[p.summary].uid;
        let mut start = 0;
        while start < undecided.len() {
            deadline.check()?;
            let lo = uid_of(&undecided[start]);
            let mut end = start + 1;
            while end < undecided.len()
                && end - start < BATCH
                && uid_of(&undecided[end]).0 - lo.0 < SPAN
            {
                end += 1;
            }
            let hi = uid_of(&undecided[end - 1]);
            let records = store.get_messages(view.mailbox(), lo..=hi).await?;
            // Decide from the records; keep the rest for their text.
            let mut need_text: Vec<(Pending, &MessageMeta)> = Vec::new();
            off_worker(|| {
                for p in &undecided[start..end] {
                    deadline.check()?;
                    let s = &summaries[p.summary];
                    let Ok(r) = records.binary_search_by_key(&s.uid, |r| r.summary.uid) else {
                        continue;
                    };
                    let meta = &records[r].meta;
                    let f = Facts {
                        meta: Some(meta),
                        ..facts(p.seq, s)
                    };
                    match eval(key, &f) {
                        Some(true) => matched.push((p.seq, s.uid, s.modseq)),
                        Some(false) => {}
                        None => need_text.push((*p, meta)),
                    }
                }
                Ok::<_, SearchError>(())
            })?;
            // Text blobs are independent reads: keep a few in flight.
            let reads: Vec<_> = need_text
                .into_iter()
                .map(|(p, meta)| text_of(store, p, meta))
                .collect();
            let mut texts = stream::iter(reads).buffered(TEXT_READS);
            while let Some((p, meta, text)) = texts.next().await {
                deadline.check()?;
                let text = text?;
                let s = &summaries[p.summary];
                let f = Facts {
                    meta: Some(meta),
                    text: Some(&text),
                    ..facts(p.seq, s)
                };
                let matches = if text.len() >= HEAVY_TEXT {
                    off_worker(|| eval(key, &f))
                } else {
                    eval(key, &f)
                };
                if matches.unwrap_or(false) {
                    matched.push((p.seq, s.uid, s.modseq));
                }
            }
            start = end;
        }
    }
    matched.sort_unstable_by_key(|m| m.0);
    let highest_modseq = if key.uses_modseq() {
        matched.iter().map(|m| m.2).max()
    } else {
        None
    };
    Ok(SearchOutcome {
        matches: matched
            .into_iter()
            .map(|(seq, uid, _)| (seq, uid))
            .collect(),
        highest_modseq,
    })
}

/// What the summary alone says about message `seq`.
fn summary_facts<'a>(
    view: &SelectedView,
    seq: u32,
    summary: &'a MessageSummary,
    now: UnixTime,
) -> Facts<'a> {
    Facts {
        seq,
        largest_seq: view.exists(),
        largest_uid: view.uids().last().copied().unwrap_or_default(),
        summary,
        recent: view.is_recent(summary.uid),
        meta: None,
        text: None,
        now,
    }
}

/// One text read for the stream above. The reads are collected into a `Vec` before being
/// buffered: a closure kept inside the stream makes the search future fail the `Send` check
/// when a connection task is spawned (its inferred lifetimes are not general enough).
async fn text_of<'a>(
    store: &'a dyn MailStore,
    p: Pending,
    meta: &'a MessageMeta,
) -> (Pending, &'a MessageMeta, Result<String, SearchError>) {
    (p, meta, load_text(store, meta.text_blob).await)
}

/// The message's body text, lower-cased; empty when it has none. Reads the blob's chunks
/// directly (one `blob_info` and one `blob_chunks` call).
async fn load_text(store: &dyn MailStore, blob: Option<BlobId>) -> Result<String, SearchError> {
    let Some(blob) = blob else {
        return Ok(String::new());
    };
    let info = store
        .blob_info(blob)
        .await?
        .ok_or(StoreError::MissingBlob(blob))?;
    if info.size == 0 || info.chunk_size == 0 {
        return Ok(String::new());
    }
    let last = (info.size - 1) / u64::from(info.chunk_size);
    let last = u32::try_from(last).map_err(|_| StoreError::Corrupt("chunk index".into()))?;
    let chunks = store.blob_chunks(blob, 0..=last).await?;
    let decode = || {
        let mut bytes = Vec::new();
        for chunk in chunks {
            bytes.extend_from_slice(&decompress_chunk(&chunk, info.chunk_size as usize)?);
        }
        Ok(String::from_utf8_lossy(&bytes).to_lowercase())
    };
    if info.size >= HEAVY_TEXT as u64 {
        off_worker(decode)
    } else {
        decode()
    }
}
