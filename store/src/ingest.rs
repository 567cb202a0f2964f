//! Async glue from a message byte stream to what `MailStore::append` needs: feeds the
//! [`eider_mime::Splitter`], writes the skeleton into one identity blob, each large decoded
//! body into its own blob and the search text into a text blob, and builds the segment list (a
//! quoted-printable body cut by `Output::Piece` becomes several segments of its one blob).
//!
//! Invariants: the segments rebuild the input byte for byte (skeleton slices interleaved with
//! body runs, in input order); memory is bounded by the read chunk, the splitter's bounded
//! buffers and one blob chunk per open writer — never the whole message. Blobs are committed
//! with zero references (the append takes them); on error open uploads are aborted and already
//! committed blobs are left to the sweep's grace period.

use crate::content::BlobWriter;
use crate::error::{StoreError, StoreResult};
use crate::mailstore::MailStore;
use eider_mime::{Limits, MimeError, Output, Splitter};
use eider_model::types::{BlobId, UnixTime};
use eider_model::{Flags, MessageMeta, NewMessage, PendingBlob, Segment, Transfer};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Bytes read from the stream at a time.
const READ_CHUNK: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("reading the message: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mime(#[from] MimeError),
}

/// A message stored as blobs, ready for `NewMessage`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prepared {
    /// Segments whose concatenation is the input.
    pub segments: Vec<Segment>,
    /// Input size in bytes (= the sum of the segments' encoded lengths).
    pub size: u64,
    /// SHA-256 of the input.
    pub sha256: [u8; 32],
    /// Parsed metadata; offsets are positions in the input, `text_blob` is set when there was
    /// text (shift offsets with [`eider_mime::shift_offsets`] when a prefix is prepended).
    pub meta: MessageMeta,
    /// Small blobs the segments or `text_blob` name that are not stored yet (only from
    /// [`prepare_message_deferred`]): store them with the append, through
    /// `MailStore::append_with_blobs`.
    pub pending: Vec<PendingBlob>,
}

impl Prepared {
    /// The record that stores this content as received (no per-recipient prefix), and the
    /// blobs still to store with it: pass both to `MailStore::append_with_blobs`.
    pub fn into_message(
        self,
        flags: Flags,
        internal_date: UnixTime,
        internal_tz_minutes: i16,
    ) -> (NewMessage, Vec<PendingBlob>) {
        let message = NewMessage {
            flags,
            internal_date,
            internal_tz_minutes,
            segments: self.segments,
            size: self.size,
            sha256: self.sha256,
            meta: self.meta,
        };
        (message, self.pending)
    }
}

/// An output of the splitter, owned, waiting for its async write.
#[derive(Debug)]
enum Ev {
    Skeleton(Vec<u8>),
    Start,
    Decoded(Vec<u8>),
    Piece(Transfer, u64),
    End(Transfer, u64),
    Text(String),
}

fn queue(evs: &mut Vec<Ev>, o: Output<'_>) {
    match (evs.last_mut(), o) {
        (Some(Ev::Skeleton(v)), Output::Skeleton(b)) => v.extend_from_slice(b),
        (Some(Ev::Decoded(v)), Output::Decoded(b)) => v.extend_from_slice(b),
        (Some(Ev::Text(s)), Output::Text(t)) => s.push_str(t),
        (_, Output::Skeleton(b)) => evs.push(Ev::Skeleton(b.to_vec())),
        (_, Output::Decoded(b)) => evs.push(Ev::Decoded(b.to_vec())),
        (_, Output::Text(t)) => evs.push(Ev::Text(t.to_string())),
        (_, Output::BodyStart) => evs.push(Ev::Start),
        (
            _,
            Output::Piece {
                transfer,
                encoded_len,
            },
        ) => evs.push(Ev::Piece(transfer, encoded_len)),
        (
            _,
            Output::BodyEnd {
                transfer,
                encoded_len,
            },
        ) => evs.push(Ev::End(transfer, encoded_len)),
    }
}

/// A segment before the skeleton blob's id is known.
#[derive(Debug)]
enum Seg {
    Skeleton { offset: u64, len: u64 },
    Run(Segment),
}

#[derive(Debug)]
struct Sink {
    peak_queued: usize,
    skeleton: Option<BlobWriter>,
    skel_len: u64,
    /// Start of the skeleton slice not yet closed into a segment.
    skel_seg_start: u64,
    run: Option<BlobWriter>,
    /// Decoded bytes written to `run` so far.
    run_len: u64,
    /// Pieces of `run` already cut (`Output::Piece`): decoded offset, length, transfer,
    /// encoded length; they become segments once the run's blob is committed.
    run_pieces: Vec<(u64, u64, Transfer, u64)>,
    text: Option<BlobWriter>,
    segs: Vec<Seg>,
    /// Leave one-chunk skeleton and text blobs unstored (see [`prepare_message_deferred`]).
    defer: bool,
}

impl Sink {
    async fn apply(&mut self, store: &dyn MailStore, ev: Ev) -> Result<(), IngestError> {
        match ev {
            Ev::Skeleton(b) => {
                if self.skeleton.is_none() {
                    self.skeleton = Some(BlobWriter::begin(store).await?);
                }
                if let Some(w) = &mut self.skeleton {
                    w.write(store, &b).await?;
                }
                self.skel_len += b.len() as u64;
            }
            Ev::Start => {
                self.close_skeleton_slice();
                if let Some(old) = self.run.take() {
                    old.abort(store).await?;
                }
                self.run = Some(BlobWriter::begin(store).await?);
                self.run_len = 0;
                self.run_pieces.clear();
            }
            Ev::Decoded(b) => {
                if let Some(w) = &mut self.run {
                    w.write(store, &b).await?;
                    self.run_len += b.len() as u64;
                }
            }
            Ev::Piece(transfer, encoded_len) => {
                let start = self.run_pieces.last().map_or(0, |p| p.0 + p.1);
                let len = self.run_len - start;
                self.run_pieces.push((start, len, transfer, encoded_len));
            }
            Ev::End(transfer, encoded_len) => {
                let Some(w) = self.run.take() else {
                    return Err(MimeError::Accounting("body end without start".into()).into());
                };
                let (blob, len) = w.finish(store).await?;
                let start = self.run_pieces.last().map_or(0, |p| p.0 + p.1);
                let last = (start, len.saturating_sub(start), transfer, encoded_len);
                for (offset, len, transfer, encoded_len) in self.run_pieces.drain(..).chain([last])
                {
                    self.segs.push(Seg::Run(Segment::Blob {
                        blob,
                        offset,
                        len,
                        transfer,
                        encoded_len,
                    }));
                }
            }
            Ev::Text(t) => {
                if self.text.is_none() {
                    self.text = Some(BlobWriter::begin(store).await?);
                }
                if let Some(w) = &mut self.text {
                    w.write(store, t.as_bytes()).await?;
                }
            }
        }
        Ok(())
    }

    fn close_skeleton_slice(&mut self) {
        if self.skel_len > self.skel_seg_start {
            self.segs.push(Seg::Skeleton {
                offset: self.skel_seg_start,
                len: self.skel_len - self.skel_seg_start,
            });
            self.skel_seg_start = self.skel_len;
        }
    }

    async fn drain(&mut self, store: &dyn MailStore, evs: &mut Vec<Ev>) -> Result<(), IngestError> {
        let queued: usize = evs
            .iter()
            .map(|e| match e {
                Ev::Skeleton(b) | Ev::Decoded(b) => b.len(),
                Ev::Text(t) => t.len(),
                Ev::Start | Ev::Piece(..) | Ev::End(..) => 0,
            })
            .sum();
        self.peak_queued = self.peak_queued.max(queued);
        for ev in evs.drain(..) {
            self.apply(store, ev).await?;
        }
        Ok(())
    }

    /// Commits (or, deferring, returns) the skeleton and text blobs and resolves the segment
    /// list.
    async fn finish(
        mut self,
        store: &dyn MailStore,
    ) -> Result<(Vec<Segment>, Option<BlobId>, Vec<PendingBlob>), IngestError> {
        self.close_skeleton_slice();
        let mut pending = Vec::new();
        let skeleton = close_blob(store, self.skeleton.take(), self.defer, &mut pending).await?;
        let text = close_blob(store, self.text.take(), self.defer, &mut pending).await?;
        let mut out = Vec::with_capacity(self.segs.len());
        for s in self.segs {
            out.push(match (s, skeleton) {
                (Seg::Run(seg), _) => seg,
                (Seg::Skeleton { offset, len }, Some(blob)) => Segment::Blob {
                    blob,
                    offset,
                    len,
                    transfer: Transfer::Identity,
                    encoded_len: len,
                },
                (Seg::Skeleton { .. }, None) => {
                    return Err(MimeError::Accounting("skeleton slice without blob".into()).into());
                }
            });
        }
        Ok((out, text, pending))
    }

    async fn abort(self, store: &dyn MailStore) {
        for w in [self.skeleton, self.run, self.text].into_iter().flatten() {
            if let Err(e) = w.abort(store).await {
                tracing::warn!(error = %e, "aborting an upload after a failed ingest");
            }
        }
    }
}

/// Finishes one of the sink's blob writers: commits it, or (deferring) leaves a one-chunk blob
/// in `pending`.
async fn close_blob(
    store: &dyn MailStore,
    writer: Option<BlobWriter>,
    defer: bool,
    pending: &mut Vec<PendingBlob>,
) -> StoreResult<Option<BlobId>> {
    let Some(w) = writer else { return Ok(None) };
    if !defer {
        return Ok(Some(w.finish(store).await?.0));
    }
    let (id, _, unstored) = w.finish_deferred(store).await?;
    pending.extend(unstored);
    Ok(Some(id))
}

/// Reads a message from `reader` and stores its content; see the module doc.
pub async fn prepare_message(
    store: &dyn MailStore,
    reader: impl AsyncRead + Unpin,
    limits: Limits,
) -> Result<Prepared, IngestError> {
    Ok(prepare_inner(store, reader, limits, false).await?.0)
}

/// [`prepare_message`] that leaves the message's small blobs (a skeleton or text that fits in
/// one chunk) in [`Prepared::pending`] instead of storing them: the caller stores them with its
/// append (`MailStore::append_with_blobs`), one write instead of three. Nothing of a message
/// whose delivery is then abandoned (every recipient refused, a filter discarding it) is left
/// behind but its large blobs, unreferenced, which the sweep removes.
pub async fn prepare_message_deferred(
    store: &dyn MailStore,
    reader: impl AsyncRead + Unpin,
    limits: Limits,
) -> Result<Prepared, IngestError> {
    Ok(prepare_inner(store, reader, limits, true).await?.0)
}

/// [`prepare_message`], also returning the most bytes ever queued between the splitter and the
/// blob writers (the memory bound the tests check).
async fn prepare_inner(
    store: &dyn MailStore,
    reader: impl AsyncRead + Unpin,
    limits: Limits,
    defer: bool,
) -> Result<(Prepared, usize), IngestError> {
    let mut sink = Sink {
        defer,
        peak_queued: 0,
        skeleton: None,
        skel_len: 0,
        skel_seg_start: 0,
        run: None,
        run_len: 0,
        run_pieces: Vec::new(),
        text: None,
        segs: Vec::new(),
    };
    match run(store, reader, limits, &mut sink).await {
        Ok((size, sha256, meta)) => {
            let peak = sink.peak_queued;
            let (segments, text_blob, pending) = sink.finish(store).await?;
            let prepared = Prepared {
                segments,
                size,
                sha256,
                meta: MessageMeta { text_blob, ..meta },
                pending,
            };
            Ok((prepared, peak))
        }
        Err(e) => {
            sink.abort(store).await;
            Err(e)
        }
    }
}

async fn run(
    store: &dyn MailStore,
    mut reader: impl AsyncRead + Unpin,
    limits: Limits,
    sink: &mut Sink,
) -> Result<(u64, [u8; 32], MessageMeta), IngestError> {
    let mut splitter = Splitter::new(limits);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; READ_CHUNK];
    let mut evs = Vec::new();
    loop {
        let n = reader.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        splitter.feed(chunk, &mut |o| queue(&mut evs, o));
        sink.drain(store, &mut evs).await?;
    }
    let parsed = splitter.finish(&mut |o| queue(&mut evs, o))?;
    sink.drain(store, &mut evs).await?;
    Ok((parsed.size, hasher.finalize().into(), parsed.meta))
}

/// How far back [`find_by_message_id`] looks: the copy a submission stored is seconds old when
/// the client APPENDs its own, and a bound keeps an APPEND to a large Sent mailbox cheap.
pub const DEDUP_WINDOW_SECS: i64 = 24 * 3600;

/// Gmail-like de-duplication for the `\Sent` mailbox: the UID of a message in `mailbox` whose
/// Message-ID is `message_id`, if one has an internal date in the last [`DEDUP_WINDOW_SECS`]
/// (`submit` stores its copy dated now). A client
/// that APPENDs its own copy of a message the server already stored on submission (same
/// Message-ID) should get that message back instead of a second copy. Reads the summaries, then
/// the full records of the mailbox's tail from the first message dated in the window on (UIDs
/// grow with arrival, so that tail holds every such message), in bounded windows.
pub async fn find_by_message_id(
    store: &dyn MailStore,
    mailbox: eider_model::types::MailboxId,
    message_id: &str,
) -> Result<Option<eider_model::types::Uid>, StoreError> {
    use eider_model::types::Uid;
    const WINDOW: usize = 512;
    let since = chrono::Utc::now().timestamp() - DEDUP_WINDOW_SECS;
    let summaries = store.list_messages(mailbox, Uid(1)..=Uid(u32::MAX)).await?;
    let Some(first) = summaries.iter().position(|m| m.internal_date >= since) else {
        return Ok(None);
    };
    for chunk in summaries[first..].chunks(WINDOW) {
        let (Some(a), Some(b)) = (chunk.first(), chunk.last()) else {
            continue;
        };
        for m in store.get_messages(mailbox, a.uid..=b.uid).await? {
            if m.summary.internal_date >= since && m.meta.message_id.as_deref() == Some(message_id)
            {
                return Ok(Some(m.summary.uid));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::content::read_message;
    use crate::embedded::{EmbeddedOptions, EmbeddedStore};

    fn message(attachment: &[u8], lf: bool) -> Vec<u8> {
        let b64 = eider_mime::encode_base64_run(attachment, 76, !lf, true);
        let mut m = b"From: a@b\r\nSubject: t\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n\
--x\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--x\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            .to_vec();
        m.extend_from_slice(&b64);
        m.extend_from_slice(b"--x--\r\n");
        m
    }

    #[tokio::test]
    async fn segments_rebuild_the_input_and_attachments_dedupe() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let attachment: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut blobs = Vec::new();
        for lf in [false, true] {
            let input = message(&attachment, lf);
            let p = prepare_message(&store, &input[..], Limits::default())
                .await
                .unwrap();
            assert_eq!(p.size, input.len() as u64);
            let sum: u64 = p.segments.iter().map(Segment::encoded_len).sum();
            assert_eq!(sum, p.size);
            assert_eq!(read_message(&store, &p.segments).await.unwrap(), input);
            let expect: [u8; 32] = Sha256::digest(&input).into();
            assert_eq!(p.sha256, expect);
            assert!(p.meta.text_blob.is_some());
            assert_eq!(p.meta.preview, "hello there");
            let run = p.segments.iter().find_map(|s| match s {
                Segment::Blob {
                    blob,
                    transfer: Transfer::Base64 { .. },
                    len,
                    ..
                } => Some((*blob, *len)),
                _ => None,
            });
            let (blob, len) = run.unwrap();
            assert_eq!(len, attachment.len() as u64);
            blobs.push(blob);
        }
        // The same attachment, folded with CRLF and with LF, is one blob.
        assert_eq!(blobs[0], blobs[1]);
    }

    #[tokio::test]
    async fn memory_is_bounded_by_the_read_chunk() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let attachment: Vec<u8> = (0..6_000_000u32).map(|i| (i % 241) as u8).collect();
        let mut input = message(&attachment, false);
        // A large identity body and a long skeleton tail too.
        input.extend(std::iter::repeat_n(b"epilogue line\r\n".as_slice(), 200_000).flatten());
        let (p, peak) = prepare_inner(&store, &input[..], Limits::default(), false)
            .await
            .unwrap();
        assert_eq!(read_message(&store, &p.segments).await.unwrap(), input);
        assert!(
            peak <= 2 * READ_CHUNK,
            "peak queue {peak} for {} bytes",
            input.len()
        );
    }

    #[tokio::test]
    async fn empty_and_headerless_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        for input in [
            &b""[..],
            b"\r\n",
            b"no headers",
            b"X: y\r\n\r\n\xff\x00body",
        ] {
            let p = prepare_message(&store, input, Limits::default())
                .await
                .unwrap();
            assert_eq!(read_message(&store, &p.segments).await.unwrap(), input);
        }
    }
}
