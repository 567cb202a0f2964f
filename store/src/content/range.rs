//! Random-access reads of a message built from segments.
//!
//! [`read_range`] walks the segments, and for each one overlapping the range fetches only the
//! blob chunks covering the decoded bytes it needs (for base64, the groups of the lines it needs;
//! for quoted-printable, the whole segment, which ingest keeps to about one chunk).

use super::base64::Layout;
use super::codec::decompress_chunk;
use super::qp::encode_qp;
use crate::error::{StoreError, StoreResult};
use crate::mailstore::{MailStore, covering_chunks};
use eider_model::types::BlobId;
use eider_model::{BlobInfo, Segment, Transfer};
use std::collections::HashMap;

/// Bytes `start..start + len` of the message made of `segments`, clamped to its end.
pub async fn read_range(
    store: &dyn MailStore,
    segments: &[Segment],
    start: u64,
    len: u64,
) -> StoreResult<Vec<u8>> {
    let end = start.saturating_add(len);
    let mut infos = HashMap::new();
    let mut out = Vec::new();
    let mut pos = 0u64;
    for segment in segments {
        let seg_len = segment.encoded_len();
        let (seg_start, seg_end) = (pos, pos + seg_len);
        pos = seg_end;
        // An empty segment contributes nothing (and would fail the bounds check below).
        if seg_len == 0 {
            continue;
        }
        if seg_end <= start || seg_start >= end {
            if seg_start >= end {
                break;
            }
            continue;
        }
        let (a, b) = (
            start.max(seg_start) - seg_start,
            end.min(seg_end) - seg_start,
        );
        match segment {
            Segment::Inline(bytes) => {
                out.extend_from_slice(&bytes[a as usize..b as usize]);
                store.stats().add_content_read(b - a);
            }
            Segment::Blob {
                blob,
                offset,
                len,
                transfer: Transfer::Identity,
                ..
            } => {
                if a >= *len || b > *len {
                    return Err(StoreError::Corrupt(format!(
                        "identity segment of {len} bytes claims {seg_len}"
                    )));
                }
                let data = read_blob(store, &mut infos, *blob, offset + a, offset + b).await?;
                out.extend_from_slice(&data);
            }
            Segment::Blob {
                blob,
                offset,
                len,
                transfer:
                    Transfer::Base64 {
                        line_len,
                        crlf,
                        final_eol,
                    },
                ..
            } => {
                let layout = Layout::new(*len, *line_len, *crlf, *final_eol)?;
                let (d0, d1) = layout.plan(a, b);
                let data = read_blob(store, &mut infos, *blob, offset + d0, offset + d1).await?;
                out.extend_from_slice(&layout.render(a, b, d0, &data)?);
            }
            Segment::Blob {
                blob,
                offset,
                len,
                transfer: Transfer::QuotedPrintable(layout),
                ..
            } => {
                // QP's encoded length depends on the data, so a segment is re-encoded whole;
                // ingest cuts long bodies into segments of about one chunk so this stays small.
                let data = read_blob(store, &mut infos, *blob, *offset, offset + len).await?;
                let text = encode_qp(&data, layout);
                if text.len() as u64 != seg_len {
                    return Err(StoreError::Corrupt(format!(
                        "quoted-printable segment re-encodes to {} bytes, recorded {seg_len}",
                        text.len()
                    )));
                }
                out.extend_from_slice(&text[a as usize..b as usize]);
            }
        }
    }
    Ok(out)
}

/// The whole message in memory. For small messages, tools and tests; daemons stream with
/// [`super::MessageReader`].
pub async fn read_message(store: &dyn MailStore, segments: &[Segment]) -> StoreResult<Vec<u8>> {
    let total = segments.iter().map(Segment::encoded_len).sum();
    read_range(store, segments, 0, total).await
}

/// Decoded bytes `start..end` of a blob, fetching only the chunks that cover them (with the
/// blob's info, in one store call the first time this read meets the blob).
async fn read_blob(
    store: &dyn MailStore,
    infos: &mut HashMap<BlobId, BlobInfo>,
    blob: BlobId,
    start: u64,
    end: u64,
) -> StoreResult<Vec<u8>> {
    if start >= end {
        return Ok(Vec::new());
    }
    let (info, chunks) = match infos.get(&blob) {
        Some(info) => {
            let info = *info;
            let chunks = match covering_chunks(&info, start, end) {
                Some(range) => store.blob_chunks(blob, range).await?,
                None => Vec::new(),
            };
            (info, chunks)
        }
        None => {
            let (info, chunks) = store
                .blob_read(blob, start, end)
                .await?
                .ok_or(StoreError::MissingBlob(blob))?;
            infos.insert(blob, info);
            (info, chunks)
        }
    };
    let Some(range) = covering_chunks(&info, start, end) else {
        return Err(StoreError::Corrupt(format!(
            "segment reads {start}..{end} of blob {blob} of {} bytes",
            info.size
        )));
    };
    let cs = u64::from(info.chunk_size);
    let first = u64::from(*range.start());
    let base = first * cs;
    let mut out = Vec::with_capacity((end - start) as usize);
    for (i, chunk) in chunks.iter().enumerate() {
        let chunk_start = base + i as u64 * cs;
        let data = decompress_chunk(chunk, info.chunk_size as usize)?;
        let s = start.max(chunk_start) - chunk_start;
        let e = (end.min(chunk_start + cs) - chunk_start).min(data.len() as u64);
        if s > e {
            return Err(StoreError::Corrupt(format!("blob {blob} chunk is short")));
        }
        out.extend_from_slice(&data[s as usize..e as usize]);
    }
    if out.len() as u64 != end - start {
        return Err(StoreError::Corrupt(format!(
            "blob {blob} is shorter than recorded"
        )));
    }
    Ok(out)
}
