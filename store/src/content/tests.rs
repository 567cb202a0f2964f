//! Tests of the content model against the embedded store: `read_range` equals slicing the fully
//! rebuilt message, base64 layouts round-trip, `BlobWriter` deduplicates and reads are partial.

use super::base64::Layout;
use super::*;
use crate::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::mailstore::MailStore;
use ::base64::Engine;
use ::base64::engine::general_purpose::STANDARD;
use eider_model::{Segment, Transfer};
use proptest::prelude::*;

/// Deterministic bytes that do not compress to nothing.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

/// The reference encoder: whole-string base64 cut into lines.
fn encode_lines(data: &[u8], line_len: u32, crlf: bool, final_eol: bool) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let text = STANDARD.encode(data);
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let lines: Vec<&[u8]> = if line_len == 0 {
        vec![text.as_bytes()]
    } else {
        text.as_bytes().chunks(line_len as usize).collect()
    };
    let mut out = lines.join(eol);
    if final_eol {
        out.extend_from_slice(eol);
    }
    out
}

fn store() -> (tempfile::TempDir, EmbeddedStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    (dir, store)
}

#[test]
fn base64_layout_matches_reference_encoder() {
    let mut sizes: Vec<usize> = (0..100).collect();
    sizes.extend([255, 256, 257, 1000, 4095, 4096, 65536 + 7]);
    for line_len in [0u32, 4, 8, 12, 16, 60, 64, 72, 76, 100, 996] {
        for &n in &sizes {
            let data = noise(n, n as u64);
            for (crlf, final_eol) in [(true, true), (true, false), (false, true), (false, false)] {
                let want = encode_lines(&data, line_len, crlf, final_eol);
                let layout = Layout::new(n as u64, line_len, crlf, final_eol).unwrap();
                let ctx = format!("n={n} line_len={line_len} crlf={crlf} final_eol={final_eol}");
                assert_eq!(layout.encoded_len(), want.len() as u64, "{ctx}");
                assert_eq!(
                    base64_encoded_len(n as u64, line_len, crlf, final_eol),
                    want.len() as u64
                );
                let got = layout.render(0, want.len() as u64, 0, &data).unwrap();
                assert_eq!(got, want, "{ctx}");
                let stripped: Vec<u8> = got
                    .iter()
                    .copied()
                    .filter(|c| !b"\r\n".contains(c))
                    .collect();
                assert_eq!(STANDARD.decode(stripped).unwrap(), data, "{ctx}");
            }
        }
    }
}

#[test]
fn base64_layout_rejects_partial_groups_per_line() {
    assert!(Layout::new(10, 75, true, true).is_err());
}

proptest! {
    #[test]
    fn base64_partial_render_equals_slice(
        n in 0usize..2000, line_pick in 0usize..6, crlf: bool, final_eol: bool,
        a in 0u64..3000, len in 0u64..400,
    ) {
        let line_len = [0u32, 4, 8, 64, 76, 128][line_pick];
        let data = noise(n, 3);
        let want = encode_lines(&data, line_len, crlf, final_eol);
        let layout = Layout::new(n as u64, line_len, crlf, final_eol).unwrap();
        let (d0, d1) = layout.plan(a, a + len);
        let got = layout.render(a, a + len, d0, &data[d0 as usize..d1 as usize]).unwrap();
        let (s, e) = ((a as usize).min(want.len()), ((a + len) as usize).min(want.len()));
        prop_assert_eq!(got, want[s..e].to_vec());
    }
}

#[tokio::test]
async fn blob_writer_deduplicates() {
    let (_dir, store) = store();
    let data = noise(3 * CHUNK_SIZE as usize + 17, 9);
    let mut w = BlobWriter::begin(&store).await.unwrap();
    // Odd write sizes cross chunk boundaries.
    for piece in data.chunks(10_000) {
        w.write(&store, piece).await.unwrap();
    }
    let first = w.finish_report(&store).await.unwrap();
    let second = put_blob(&store, &data).await.unwrap();
    assert!(!first.existed);
    assert!(second.existed);
    assert_eq!(first.id, second.id);
    assert_eq!(first.size, data.len() as u64);
    let blobs = store.list_blobs(None, 10).await.unwrap();
    assert_eq!(blobs.len(), 1);
    assert_eq!(
        (blobs[0].size, blobs[0].chunk_size),
        (data.len() as u64, CHUNK_SIZE)
    );
    let chunks = store.blob_chunks(first.id, 0..=3).await.unwrap();
    assert_eq!(chunks.len(), 4);
    // The duplicate upload left nothing staged behind.
    let swept = store.sweep(i64::MIN, i64::MIN).await.unwrap();
    assert_eq!(swept.uploads, 0);
}

#[tokio::test]
async fn blob_writer_abort_and_empty_blob() {
    let (_dir, store) = store();
    let mut w = BlobWriter::begin(&store).await.unwrap();
    w.write(&store, &noise(100_000, 1)).await.unwrap();
    w.abort(&store).await.unwrap();
    assert!(store.list_blobs(None, 10).await.unwrap().is_empty());
    let empty = put_blob(&store, b"").await.unwrap();
    assert_eq!(empty.size, 0);
    let seg = vec![Segment::Blob {
        blob: empty.id,
        offset: 0,
        len: 0,
        transfer: Transfer::Identity,
        encoded_len: 0,
    }];
    assert!(read_message(&store, &seg).await.unwrap().is_empty());
}

/// Blobs shared by the property test, and the segments it can pick from.
struct Fixture {
    _dir: tempfile::TempDir,
    store: EmbeddedStore,
    blobs: Vec<(eider_model::types::BlobId, Vec<u8>)>,
    rt: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (dir, store) = store();
    let blobs = rt.block_on(async {
        let mut out = Vec::new();
        for (len, seed) in [(1_000usize, 1u64), (200_000, 2), (70_000, 3)] {
            let data = noise(len, seed);
            let id = put_blob(&store, &data).await.unwrap().id;
            out.push((id, data));
        }
        out
    });
    Fixture {
        _dir: dir,
        store,
        blobs,
        rt,
    }
}

/// A segment choice: kind (0 inline, 1 identity, 2 base64), blob, offset and length picks, layout.
type SegSpec = (u8, usize, u32, u32, usize, bool, bool);

fn build(fx: &Fixture, specs: &[SegSpec]) -> (Vec<Segment>, Vec<u8>) {
    let mut segments = Vec::new();
    let mut whole = Vec::new();
    for &(kind, b, off_pick, len_pick, line_pick, crlf, final_eol) in specs {
        let (id, data) = &fx.blobs[b % fx.blobs.len()];
        let offset = off_pick as usize % data.len();
        let len = len_pick as usize % (data.len() - offset + 1);
        let slice = &data[offset..offset + len];
        match kind % 3 {
            0 => {
                let bytes = slice[..len.min(300)].to_vec();
                whole.extend_from_slice(&bytes);
                segments.push(Segment::Inline(bytes));
            }
            1 => {
                whole.extend_from_slice(slice);
                segments.push(Segment::Blob {
                    blob: *id,
                    offset: offset as u64,
                    len: len as u64,
                    transfer: Transfer::Identity,
                    encoded_len: len as u64,
                });
            }
            _ => {
                let line_len = [0u32, 4, 76, 64, 1000][line_pick % 5];
                let enc = encode_lines(slice, line_len, crlf, final_eol);
                whole.extend_from_slice(&enc);
                segments.push(Segment::Blob {
                    blob: *id,
                    offset: offset as u64,
                    len: len as u64,
                    transfer: Transfer::Base64 {
                        line_len,
                        crlf,
                        final_eol,
                    },
                    encoded_len: enc.len() as u64,
                });
            }
        }
    }
    (segments, whole)
}

#[test]
fn read_range_equals_slicing_the_whole_message() {
    let fx = fixture();
    let spec = (
        any::<u8>(),
        0usize..3,
        any::<u32>(),
        any::<u32>(),
        0usize..5,
        any::<bool>(),
        any::<bool>(),
    );
    let strategy = (
        proptest::collection::vec(spec, 0..6),
        any::<u64>(),
        prop_oneof![0u64..100, 0u64..300_000],
    );
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(200));
    runner
        .run(&strategy, |(specs, start_pick, len)| {
            let (segments, whole) = build(&fx, &specs);
            let total = whole.len() as u64;
            let start = if total == 0 {
                0
            } else {
                start_pick % (total + 10)
            };
            let got = fx
                .rt
                .block_on(read_range(&fx.store, &segments, start, len))
                .unwrap();
            let (s, e) = (start.min(total) as usize, (start + len).min(total) as usize);
            prop_assert_eq!(got.len(), e - s);
            prop_assert!(got == whole[s..e], "range {}..{} of {}", s, e, total);
            // Windowed reading rebuilds the same bytes.
            let mut reader = MessageReader::new(&fx.store, &segments)
                .range(start, len)
                .window(70_001);
            let mut streamed = Vec::new();
            while let Some(w) = fx.rt.block_on(reader.next_window()).unwrap() {
                streamed.extend_from_slice(&w);
            }
            prop_assert!(streamed == whole[s..e]);
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn small_range_reads_only_the_chunks_it_needs() {
    let (_dir, store) = store();
    let data = noise(20 * CHUNK_SIZE as usize, 5);
    let blob = put_blob(&store, &data).await.unwrap();
    let seg = vec![Segment::Blob {
        blob: blob.id,
        offset: 0,
        len: data.len() as u64,
        transfer: Transfer::Base64 {
            line_len: 76,
            crlf: true,
            final_eol: true,
        },
        encoded_len: base64_encoded_len(data.len() as u64, 76, true, true),
    }];
    let before = store.stats().content_bytes_read();
    let enc_start = 10 * CHUNK_SIZE as u64;
    let got = read_range(&store, &seg, enc_start, 100).await.unwrap();
    let read = store.stats().content_bytes_read() - before;
    let want = encode_lines(&data, 76, true, true);
    assert_eq!(got, want[enc_start as usize..enc_start as usize + 100]);
    // Noise does not compress: one chunk is about CHUNK_SIZE bytes; allow two (a line may span a
    // chunk boundary), far below the 20 chunks of the blob.
    assert!(
        read > 0 && read <= 2 * (CHUNK_SIZE as u64 + 1024),
        "{read} bytes read"
    );
}

/// A zero-length segment inside the range reads as nothing (it once failed the bounds check).
#[test]
fn empty_segments_read_as_nothing() {
    let fx = fixture();
    let (id, data) = &fx.blobs[0];
    let empty = Segment::Blob {
        blob: *id,
        offset: 5,
        len: 0,
        transfer: Transfer::Identity,
        encoded_len: 0,
    };
    let three = Segment::Blob {
        blob: *id,
        offset: 0,
        len: 3,
        transfer: Transfer::Identity,
        encoded_len: 3,
    };
    let segments = vec![Segment::Inline(b"ab".to_vec()), empty, three];
    let got = fx
        .rt
        .block_on(read_range(&fx.store, &segments, 1, 3))
        .unwrap();
    assert_eq!(got, [b'b', data[0], data[1]]);
}
