//! Conformance: content written with `content::BlobWriter` reads back byte-exact through
//! `content::read_range`, reading only the chunks a range needs; identical content is stored once.

use super::fixtures::{bytes, mailbox_id, make_user, now};
use super::{StoreFactory, check_consistency};
use base64::Engine;
use eider_model::types::BlobId;
use eider_model::{Flags, MessageMeta, NewMessage, PendingBlob, Segment, Transfer};
use eider_store::content::{BlobWriter, read_range};
use eider_store::mailstore::MailStore;
use sha2::{Digest, Sha256};

/// Writes `data` through a `BlobWriter` in pieces of `piece` bytes.
pub async fn write_blob(s: &dyn MailStore, data: &[u8], piece: usize) -> (BlobId, u64) {
    let mut w = BlobWriter::begin(s).await.expect("BlobWriter::begin");
    for p in data.chunks(piece.max(1)) {
        w.write(s, p).await.expect("BlobWriter::write");
    }
    w.finish(s).await.expect("BlobWriter::finish")
}

/// Base64 as `Transfer::Base64` describes it.
fn encode_b64(data: &[u8], line_len: usize, crlf: bool, final_eol: bool) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD
        .encode(data)
        .into_bytes();
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let lines: Vec<&[u8]> = if line_len == 0 {
        vec![&b64[..]]
    } else {
        b64.chunks(line_len).collect()
    };
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l);
        if i + 1 < lines.len() || final_eol {
            out.extend_from_slice(eol);
        }
    }
    out
}

/// A three-part message (inline prefix, identity slice across a chunk boundary, base64 leaf)
/// read back in many windows.
pub async fn content_read_back_exact(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let skeleton = bytes(1, 150_000); // three chunks
    let attachment = bytes(2, 200_001); // four chunks
    let (sk, sk_len) = write_blob(s, &skeleton, 10_007).await;
    let (att, att_len) = write_blob(s, &attachment, 65_536).await;
    assert_eq!((sk_len, att_len), (150_000, 200_001));
    assert_eq!(
        sk,
        BlobId(Sha256::digest(&skeleton).into()),
        "blob id is the SHA-256"
    );
    let info = s.blob_info(att).await.unwrap().expect("blob_info");
    assert_eq!((info.size, info.refs), (200_001, 0));

    let prefix = b"Return-Path: <x@example.org>\r\nDelivered-To: u@example.org\r\n".to_vec();
    let (off, len) = (60_000u64, 20_000u64); // crosses the 64 KiB chunk boundary
    let encoded = encode_b64(&attachment, 76, true, false);
    let segments = vec![
        Segment::Inline(prefix.clone()),
        Segment::Blob {
            blob: sk,
            offset: off,
            len,
            transfer: Transfer::Identity,
            encoded_len: len,
        },
        Segment::Blob {
            blob: att,
            offset: 0,
            len: att_len,
            transfer: Transfer::Base64 {
                line_len: 76,
                crlf: true,
                final_eol: false,
            },
            encoded_len: encoded.len() as u64,
        },
    ];
    let mut expected = prefix.clone();
    expected.extend_from_slice(&skeleton[off as usize..(off + len) as usize]);
    expected.extend_from_slice(&encoded);
    let size = expected.len() as u64;
    let msg = NewMessage {
        flags: Flags::default(),
        internal_date: now(),
        internal_tz_minutes: 0,
        segments,
        size,
        sha256: Sha256::digest(&expected).into(),
        meta: MessageMeta::default(),
    };
    let ap = s.append(inbox, msg).await.unwrap();
    let stored = s.get_message(inbox, ap.uid).await.unwrap().unwrap();
    let whole = read_range(s, &stored.segments, 0, size)
        .await
        .expect("read_range whole");
    assert!(
        whole == expected,
        "whole message differs (len {} vs {})",
        whole.len(),
        expected.len()
    );
    let p = prefix.len() as u64;
    let windows = [
        (0, 1),
        (0, p),
        (p - 3, 10),
        (p + len - 5, 300),
        (p + 5_535, 2),
        (size - 1, 1),
        (size - 77, 77),
        (p + len + 75, 4),
        (p + len + 76, 2),
        (1234, 100_000),
        (size, 0),
        (size - 10, 100),
    ];
    for (start, n) in windows {
        let got = read_range(s, &stored.segments, start, n)
            .await
            .expect("read_range");
        let end = (start + n).min(size) as usize;
        assert!(
            got == expected[start as usize..end],
            "range {start}+{n}: {} bytes, differs",
            got.len()
        );
    }
    // A few bytes early in the attachment touch at most two of its four chunks.
    let before = s.stats().content_bytes_read();
    read_range(s, &stored.segments, p + len + 50_000, 8)
        .await
        .unwrap();
    let read = s.stats().content_bytes_read() - before;
    let two: u64 = s
        .blob_chunks(att, 0..=1)
        .await
        .unwrap()
        .iter()
        .map(|c| c.len() as u64)
        .sum();
    assert!(
        read > 0 && read <= two,
        "read {read} bytes of content for 8 bytes (two chunks: {two})"
    );
    check_consistency(s).await.unwrap();
}

/// Equal content gives one blob; aborted uploads leave nothing; an empty blob round-trips.
pub async fn content_blob_dedup_and_abort(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let data = bytes(5, 100_000);
    let first = write_blob(s, &data, 4096).await;
    let second = write_blob(s, &data, 99_999).await;
    assert_eq!(first, second, "same bytes, same blob");
    assert_eq!(
        s.list_blobs(None, 10).await.unwrap().len(),
        1,
        "stored once"
    );

    let mut w = BlobWriter::begin(s).await.unwrap();
    w.write(s, &bytes(6, 80_000)).await.unwrap();
    w.abort(s).await.unwrap();
    assert_eq!(
        s.list_blobs(None, 10).await.unwrap().len(),
        1,
        "aborted upload is no blob"
    );
    let stats = s.sweep(now() + 3600, 0).await.unwrap();
    assert_eq!(
        stats.uploads, 0,
        "abort already discarded the upload: {stats:?}"
    );
    assert_eq!(stats.blobs, 1, "the zero-ref blob is swept past the cutoff");

    let (empty, n) = write_blob(s, b"", 1).await;
    assert_eq!((empty, n), (BlobId(Sha256::digest(b"").into()), 0));
    assert_eq!(read_range(s, &[], 0, 0).await.unwrap(), Vec::<u8>::new());
    check_consistency(s).await.unwrap();
}

/// `blob_put` stores a whole blob in one call with the outcome of begin + chunks + commit:
/// a new blob with zero references whose chunks read back, `true` for one that already existed
/// (whichever way it was written), and a chunk count that contradicts the size is refused
/// without leaving a blob or an upload behind.
pub async fn blob_put_whole(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let small = bytes(8, 3000);
    let id = BlobId(Sha256::digest(&small).into());
    let chunk = zstd::bulk::compress(&small, 3).unwrap();
    let n = small.len() as u64;
    assert!(
        !s.blob_put(id, n, 65_536, vec![chunk.clone()])
            .await
            .unwrap()
    );
    let info = s.blob_info(id).await.unwrap().expect("stored");
    assert_eq!((info.size, info.refs), (n, 0));
    let back = s.blob_chunks(id, 0..=0).await.unwrap();
    assert_eq!(zstd::bulk::decompress(&back[0], 65_536).unwrap(), small);
    assert!(
        s.blob_put(id, n, 65_536, vec![chunk.clone()])
            .await
            .unwrap()
    );
    // The staged path and the one-call path meet on the same id.
    assert_eq!(super::fixtures::put_blob(s, &small).await, id);

    let other = bytes(9, 10);
    let other_id = BlobId(Sha256::digest(&other).into());
    let wrong = s
        .blob_put(
            other_id,
            other.len() as u64,
            65_536,
            vec![chunk.clone(), chunk],
        )
        .await;
    assert!(wrong.is_err(), "two chunks for 10 bytes: {wrong:?}");
    assert!(s.blob_info(other_id).await.unwrap().is_none());
    assert!(
        !s.blob_put(BlobId(Sha256::digest(b"").into()), 0, 65_536, Vec::new())
            .await
            .unwrap()
    );
    let stats = s.sweep(now() + 3600, 0).await.unwrap();
    assert_eq!(stats.uploads, 0, "nothing left staged: {stats:?}");
    assert_eq!(stats.blobs, 2, "both unreferenced blobs swept");
    check_consistency(s).await.unwrap();
}

/// `append_with_blobs` stores the pending blobs and the message naming them, which reads back;
/// each blob then has one reference per message; a second message with the same pending blob
/// shares it; an append refused over quota leaves no message and no referenced blob (a backend
/// may keep the blob unreferenced until the sweep, or not store it at all).
pub async fn append_with_pending_blobs(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 10_000).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let pending = |seed: u64, len: usize| {
        let data = bytes(seed, len);
        let blob = PendingBlob {
            id: BlobId(Sha256::digest(&data).into()),
            size: len as u64,
            chunk_size: 65_536,
            chunks: vec![zstd::bulk::compress(&data, 3).unwrap()],
        };
        (data, blob)
    };
    let (data, blob) = pending(11, 2000);
    let msg = super::fixtures::message(b"X: 1\r\n", &[(blob.id, 2000)], Flags::default(), "p");
    let a = s
        .append_with_blobs(inbox, msg.clone(), vec![blob.clone()])
        .await
        .unwrap();
    let b = s
        .append_with_blobs(inbox, msg, vec![blob.clone()])
        .await
        .unwrap();
    assert_ne!(a.uid, b.uid);
    assert_eq!(s.blob_info(blob.id).await.unwrap().unwrap().refs, 2);
    let stored = s.get_messages(inbox, a.uid..=a.uid).await.unwrap();
    let whole = read_range(s, &stored[0].segments, 0, u64::MAX)
        .await
        .unwrap();
    assert_eq!(&whole[..6], b"X: 1\r\n");
    assert_eq!(&whole[6..], &data[..]);

    let (_, big) = pending(12, 9000);
    let over = super::fixtures::message(b"", &[(big.id, 9000)], Flags::default(), "q");
    let res = s.append_with_blobs(inbox, over, vec![big.clone()]).await;
    assert!(
        matches!(res, Err(eider_store::StoreError::OverQuota)),
        "over quota: {res:?}"
    );
    assert_eq!(
        s.list_messages(inbox, super::fixtures::all_uids())
            .await
            .unwrap()
            .len(),
        2
    );
    if let Some(info) = s.blob_info(big.id).await.unwrap() {
        assert_eq!(info.refs, 0, "a refused append holds no reference");
    }
    check_consistency(s).await.unwrap();
}

/// `blob_read` returns the blob's info with exactly the chunks covering a decoded range, none
/// for an empty or out-of-bounds range, and `None` for a blob that does not exist.
pub async fn blob_read_covering_chunks(f: &dyn StoreFactory) {
    let store = f.make().await;
    let s = store.as_ref();
    let data = bytes(13, 200_000);
    let (id, _) = write_blob(s, &data, 50_000).await;
    let decode = |c: &[u8]| zstd::bulk::decompress(c, 65_536).unwrap();
    let (info, chunks) = s.blob_read(id, 70_000, 70_010).await.unwrap().unwrap();
    assert_eq!(
        (info.size, info.chunk_size, chunks.len()),
        (200_000, 65_536, 1)
    );
    assert_eq!(decode(&chunks[0]), &data[65_536..131_072]);
    let (_, all) = s.blob_read(id, 0, 200_000).await.unwrap().unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(decode(&all[3]), &data[196_608..]);
    let (_, two) = s.blob_read(id, 65_535, 65_537).await.unwrap().unwrap();
    assert_eq!(two.len(), 2, "a range across a chunk boundary");
    for (a, b) in [(5, 5), (9, 3), (0, 200_001)] {
        let (_, none) = s.blob_read(id, a, b).await.unwrap().unwrap();
        assert!(none.is_empty(), "{a}..{b}");
    }
    let missing = BlobId(Sha256::digest(b"nothing").into());
    assert!(s.blob_read(missing, 0, 1).await.unwrap().is_none());
}

/// Random messages of inline, identity and base64 segments (every line layout the model allows,
/// slices anywhere in multi-chunk blobs) read back whole and in random windows.
pub async fn content_random_layouts(f: &dyn StoreFactory) {
    use rand::{Rng, SeedableRng};
    let store = f.make().await;
    let s = store.as_ref();
    let u = make_user(s, "u", 0).await;
    let inbox = mailbox_id(s, u.id, "INBOX").await;
    let seed = std::env::var("EIDER_CONFORMANCE_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0xC0_17E7);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut blobs = Vec::new();
    for (i, len) in [1usize, 3, 1000, 65_536, 65_537, 140_000]
        .into_iter()
        .enumerate()
    {
        let data = bytes(100 + i as u64, len);
        let (id, _) = write_blob(s, &data, rng.gen_range(1..70_000)).await;
        blobs.push((id, data));
    }
    for m in 0..25 {
        let mut segments = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..rng.gen_range(1..6) {
            if rng.gen_bool(0.25) {
                let b = bytes(rng.r#gen(), rng.gen_range(0..300));
                expected.extend_from_slice(&b);
                segments.push(Segment::Inline(b));
                continue;
            }
            let (id, data) = &blobs[rng.gen_range(0..blobs.len())];
            let off = rng.gen_range(0..data.len());
            let len = rng.gen_range(1..=data.len() - off);
            let slice = &data[off..off + len];
            let transfer = match rng.gen_range(0..3) {
                0 => Transfer::Identity,
                1 => {
                    let line_len = [0u32, 4, 64, 76, 996][rng.gen_range(0..5)];
                    Transfer::Base64 {
                        line_len,
                        crlf: rng.gen_bool(0.7),
                        final_eol: rng.gen_bool(0.5),
                    }
                }
                _ => Transfer::QuotedPrintable(eider_model::QpLayout {
                    line_len: [4u32, 76, 998][rng.gen_range(0..3)],
                    crlf: rng.gen_bool(0.7),
                    lookahead: rng.gen_bool(0.5),
                    word_wrap: rng.gen_bool(0.5),
                    lf_break: rng.gen_bool(0.5),
                    soft_end: rng.gen_bool(0.3),
                    final_eol: rng.gen_bool(0.5),
                    overhang: rng.gen_bool(0.3),
                    space_hangs: rng.gen_bool(0.3),
                    trailing_ws: rng.gen_bool(0.3),
                    escape: if rng.gen_bool(0.3) {
                        (1u128 << b'"') | (1u128 << b'.')
                    } else {
                        0
                    },
                }),
            };
            let encoded = match &transfer {
                Transfer::Identity => slice.to_vec(),
                Transfer::Base64 {
                    line_len,
                    crlf,
                    final_eol,
                } => encode_b64(slice, *line_len as usize, *crlf, *final_eol),
                // The layout is defined by the one encoder (content::qp); this checks that the
                // store hands back the decoded slice the segment names.
                Transfer::QuotedPrintable(layout) => eider_store::content::encode_qp(slice, layout),
            };
            segments.push(Segment::Blob {
                blob: *id,
                offset: off as u64,
                len: len as u64,
                transfer,
                encoded_len: encoded.len() as u64,
            });
            expected.extend_from_slice(&encoded);
        }
        let size = expected.len() as u64;
        let msg = NewMessage {
            flags: Flags::default(),
            internal_date: now(),
            internal_tz_minutes: 0,
            segments,
            size,
            sha256: Sha256::digest(&expected).into(),
            meta: MessageMeta::default(),
        };
        let ap = s.append(inbox, msg).await.unwrap();
        let stored = s.get_message(inbox, ap.uid).await.unwrap().unwrap();
        let whole = read_range(s, &stored.segments, 0, size).await.unwrap();
        assert!(
            whole == expected,
            "message {m}: whole read differs (layout {:?})",
            stored.segments.iter().map(layout).collect::<Vec<_>>()
        );
        for _ in 0..15 {
            let start = rng.gen_range(0..=size);
            let n = rng.gen_range(0..=(size - start).min(5000) + 10);
            let got = read_range(s, &stored.segments, start, n).await.unwrap();
            let end = (start + n).min(size) as usize;
            assert!(
                got == expected[start as usize..end],
                "seed {seed} message {m}: range {start}+{n} of {size} differs (layout {:?})",
                stored.segments.iter().map(layout).collect::<Vec<_>>()
            );
        }
    }
}

/// A segment without its bytes, for failure messages.
fn layout(s: &Segment) -> String {
    match s {
        Segment::Inline(b) => format!("inline {}", b.len()),
        Segment::Blob {
            offset,
            len,
            transfer,
            encoded_len,
            ..
        } => format!("{transfer:?} {offset}+{len} -> {encoded_len}"),
    }
}
