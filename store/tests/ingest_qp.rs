//! Quoted-printable bodies through `ingest::prepare_message` into an embedded store: the same
//! attachment sent base64-encoded, quoted-printable with 76-character lines, quoted-printable
//! with other line lengths and LF line endings, and quoted-printable as bulk mailers write it
//! (layout version 2, stored as the appended record variant) is stored as one blob with one
//! reference per message, each message verifying intact; QP segments read back exactly at random offsets; random QP bodies split at random
//! read sizes give the same segments and the same stored bytes.

#![allow(clippy::unwrap_used)]

use eider_mime::{Limits, encode_base64_run};
use eider_model::types::BlobId;
use eider_model::{Flags, QpLayout, Segment, Transfer};
use eider_store::content::{encode_qp, read_message, read_range};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::ingest::{Prepared, prepare_message};
use eider_store::mailstore::MailStore;
use eider_store::verify::{Verdict, verify_message};
use eider_store_testkit::conformance::{mailbox_id, make_user};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use std::collections::BTreeSet;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

fn layout(line_len: u32, crlf: bool) -> QpLayout {
    QpLayout {
        line_len,
        crlf,
        lookahead: true,
        word_wrap: false,
        lf_break: false,
        soft_end: false,
        final_eol: false,
        overhang: false,
        space_hangs: false,
        trailing_ws: false,
        escape: 0,
    }
}

/// A layout-version-2 layout: what bulk mailers write (trailing spaces as they are, needless
/// escapes, escapes running over the line length).
fn layout_v2(line_len: u32, crlf: bool) -> QpLayout {
    QpLayout {
        overhang: true,
        trailing_ws: true,
        escape: (1u128 << b'q') | (1u128 << b'\t'),
        ..layout(line_len, crlf)
    }
}

/// A text attachment in canonical form (CRLF lines, long lines, 8-bit bytes, `=`, trailing
/// spaces): quoted-printable needs soft breaks, escapes and whitespace escapes for it.
fn attachment(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        match rng.gen_range(0..100) {
            0..=2 => out.extend_from_slice(b"\r\n"),
            3 => out.extend_from_slice(b" \r\n"),
            4..=5 => out.push(0xe9),
            6 => out.push(b'='),
            7..=20 => out.push(b' '),
            _ => out.push(rng.gen_range(b'a'..=b'z')),
        }
    }
    out.truncate(len);
    out
}

fn message(cte: &str, body: &[u8]) -> Vec<u8> {
    message_eol(cte, body, "\r\n")
}

/// The message with the given line ending in its headers and delimiters.
fn message_eol(cte: &str, body: &[u8], eol: &str) -> Vec<u8> {
    let head = "From: a@example.org\r\nSubject: t\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n\
--x\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--x\r\n\
Content-Type: text/plain; name=a.txt\r\nContent-Transfer-Encoding: CTE\r\n\r\n";
    let mut m = head.replace("CTE", cte).replace("\r\n", eol).into_bytes();
    m.extend_from_slice(body);
    m.extend_from_slice(format!("{eol}--x--{eol}").as_bytes());
    m
}

/// The blobs of the message's decoded runs (base64 or QP segments).
fn run_blobs(p: &Prepared) -> BTreeSet<BlobId> {
    p.segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob {
                blob,
                transfer: Transfer::Base64 { .. } | Transfer::QuotedPrintable(_),
                ..
            } => Some(*blob),
            _ => None,
        })
        .collect()
}

fn qp_segments(p: &Prepared) -> usize {
    p.segments
        .iter()
        .filter(|s| {
            matches!(
                s,
                Segment::Blob {
                    transfer: Transfer::QuotedPrintable(_),
                    ..
                }
            )
        })
        .count()
}

#[tokio::test]
async fn one_attachment_in_three_encodings_is_one_blob() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let user = make_user(&store, "u", 0).await;
    let inbox = mailbox_id(&store, user.id, "INBOX").await;
    // Ends without a line break: the body's last CRLF belongs to the boundary.
    let att = attachment(300_000, 7);
    let bodies = [
        ("base64", encode_base64_run(&att, 76, true, false), "\r\n"),
        (
            "quoted-printable",
            encode_qp(&att, &layout(76, true)),
            "\r\n",
        ),
        (
            "quoted-printable",
            encode_qp(&att, &layout(72, true)),
            "\r\n",
        ),
        // A message stored with LF line endings (as from an mbox) and long lines.
        (
            "Quoted-Printable",
            encode_qp(&att, &layout(998, false)),
            "\n",
        ),
        (
            "quoted-printable",
            encode_qp(&att, &layout_v2(75, true)),
            "\r\n",
        ),
    ];
    let mut blobs = BTreeSet::new();
    for (cte, body, eol) in &bodies {
        let input = message_eol(cte, body, eol);
        let p = prepare_message(&store, &input[..], Limits::default())
            .await
            .unwrap();
        assert_eq!(read_message(&store, &p.segments).await.unwrap(), input);
        let b = run_blobs(&p);
        assert_eq!(b.len(), 1, "{cte}: {:?}", p.segments);
        if cte.eq_ignore_ascii_case("quoted-printable") {
            // ~300 KB decoded: cut into pieces of about 64 KiB.
            assert!(
                qp_segments(&p) >= 4,
                "{cte}: {} QP segments",
                qp_segments(&p)
            );
        }
        blobs.extend(b);
        let (msg, pending) = p.into_message(Flags::default(), 0, 0);
        let ap = store.append_with_blobs(inbox, msg, pending).await.unwrap();
        // What `eider verify` checks: the stored message rebuilds to its recorded SHA-256.
        let stored = store.get_message(inbox, ap.uid).await.unwrap().unwrap();
        assert_eq!(
            verify_message(&store, &stored).await.unwrap(),
            Verdict::Intact,
            "{cte}"
        );
    }
    assert_eq!(blobs.len(), 1, "one blob for the attachment");
    let blob = *blobs.first().unwrap();
    let info = store.blob_info(blob).await.unwrap().unwrap();
    assert_eq!(info.size, att.len() as u64);
    assert_eq!(info.refs, bodies.len() as u64, "one reference per message");
}

#[tokio::test]
async fn qp_segments_read_back_at_random_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let att = attachment(500_000, 11);
    let input = message("quoted-printable", &encode_qp(&att, &layout(76, true)));
    let p = prepare_message(&store, &input[..], Limits::default())
        .await
        .unwrap();
    assert!(qp_segments(&p) >= 7);
    let n = input.len() as u64;
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for _ in 0..200 {
        let start = rng.gen_range(0..n);
        let len = rng.gen_range(0..20_000u64);
        let got = read_range(&store, &p.segments, start, len).await.unwrap();
        let end = (start + len).min(n) as usize;
        assert!(got == input[start as usize..end], "{start}+{len}");
    }
}

/// Hands out the input in reads of the given sizes (cycled).
struct Chunked<'a> {
    data: &'a [u8],
    sizes: Vec<usize>,
    i: usize,
}

impl AsyncRead for Chunked<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let size = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = size.min(self.data.len()).min(buf.remaining());
        buf.put_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Poll::Ready(Ok(()))
    }
}

/// Every blob the segments name, with its bytes.
async fn blob_bytes(store: &EmbeddedStore, segments: &[Segment]) -> Vec<(BlobId, Vec<u8>)> {
    let blobs: BTreeSet<BlobId> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob { blob, .. } => Some(*blob),
            Segment::Inline(_) => None,
        })
        .collect();
    let mut out = Vec::new();
    for b in blobs {
        let info = store.blob_info(b).await.unwrap().unwrap();
        let seg = [Segment::Blob {
            blob: b,
            offset: 0,
            len: info.size,
            transfer: Transfer::Identity,
            encoded_len: info.size,
        }];
        out.push((b, read_message(store, &seg).await.unwrap()));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random QP bodies (some damaged) split at random read sizes: the same segments and the
    /// same stored blob bytes as one whole read, and the input rebuilt exactly.
    #[test]
    fn chunking_does_not_change_what_is_stored(
        seed in any::<u64>(),
        len in 0usize..200_000,
        line_len in prop::sample::select(vec![40u32, 76, 120]),
        crlf in any::<bool>(),
        v2 in any::<bool>(),
        damage in prop::option::of(0usize..1_000_000),
        sizes in prop::collection::vec(1usize..20_000, 1..6),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
            let l = if v2 { layout_v2(line_len, crlf) } else { layout(line_len, crlf) };
            let mut body = encode_qp(&attachment(len, seed), &l);
            if let Some(at) = damage.filter(|_| !body.is_empty()) {
                let at = at % body.len();
                body[at] = b'\t';
            }
            let input = message("quoted-printable", &body);
            let whole = prepare_message(&store, &input[..], Limits::default()).await.unwrap();
            let reader = Chunked { data: &input, sizes: sizes.clone(), i: 0 };
            let split = prepare_message(&store, reader, Limits::default()).await.unwrap();
            assert_eq!(&split.segments, &whole.segments);
            assert_eq!(&split.meta, &whole.meta);
            assert_eq!(read_message(&store, &split.segments).await.unwrap(), input);
            assert_eq!(
                blob_bytes(&store, &split.segments).await,
                blob_bytes(&store, &whole.segments).await
            );
        });
    }
}
