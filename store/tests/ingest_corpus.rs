//! `ingest::prepare_message` against the real-mail corpus (`../shared/corpus` or
//! `EIDER_CORPUS`): every fixture, SpamAssassin and linux-mips file that mentions base64 or
//! quoted-printable, in CRLF wire form, is stored in a fresh embedded store; the segments must rebuild
//! the input exactly (`content::read_message`, and `content::read_range` over a few windows),
//! with the right size and SHA-256.

#![allow(clippy::unwrap_used)]

#[path = "../../mime/tests/corpus_support/mod.rs"]
mod corpus_support;

use corpus_support::{corpus, crlf, files};
use eider_mime::Limits;
use eider_model::{Segment, Transfer};
use eider_store::content::{read_message, read_range};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::ingest::prepare_message;
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Instant;

fn mentions(data: &[u8], word: &[u8]) -> bool {
    data.windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word))
}

/// What storing one file showed.
#[derive(Default)]
struct Seen {
    size: u64,
    b64_segments: u64,
    /// Quoted-printable runs (bodies, whole or in part) and the segments they were cut into.
    qp_runs: u64,
    qp_segments: u64,
    failure: Option<String>,
}

/// Stores one file; `None` when it mentions neither base64 nor quoted-printable.
async fn check(store: &EmbeddedStore, p: &Path) -> Option<Seen> {
    let raw = std::fs::read(p).unwrap();
    // Messages without either exercise only skeleton and identity segments, which the
    // splitter's own corpus test covers; keep this (fsync-bound) test short.
    if !mentions(&raw, b"base64") && !mentions(&raw, b"quoted-printable") {
        return None;
    }
    let raw = match raw.strip_prefix(b"From ") {
        Some(_) => raw
            .splitn(2, |&c| c == b'\n')
            .nth(1)
            .unwrap_or(&[])
            .to_vec(),
        None => raw,
    };
    let input = crlf(&raw);
    let prepared = prepare_message(store, &input[..], Limits::default())
        .await
        .unwrap();
    let mut seen = Seen::default();
    let mut qp_blobs = std::collections::BTreeSet::new();
    for s in &prepared.segments {
        match s {
            Segment::Blob {
                transfer: Transfer::Base64 { .. },
                ..
            } => seen.b64_segments += 1,
            Segment::Blob {
                blob,
                transfer: Transfer::QuotedPrintable(_),
                ..
            } => {
                seen.qp_segments += 1;
                qp_blobs.insert(*blob);
            }
            _ => {}
        }
    }
    seen.qp_runs = qp_blobs.len() as u64;
    let expect: [u8; 32] = Sha256::digest(&input).into();
    let whole = read_message(store, &prepared.segments).await.unwrap();
    let n = input.len() as u64;
    let mut ok = whole == input && prepared.sha256 == expect && prepared.size == n;
    for (start, len) in [
        (0, 100),
        (n / 3, 5000),
        (n.saturating_sub(77), 77),
        (n / 2, 1),
    ] {
        let got = read_range(store, &prepared.segments, start, len)
            .await
            .unwrap();
        let end = (start + len).min(n) as usize;
        ok &= got == input[(start as usize).min(end)..end];
    }
    seen.size = n;
    seen.failure = (!ok).then(|| p.display().to_string());
    Some(seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_segments_rebuild_input() {
    let Some(root) = corpus() else {
        return;
    };
    let t0 = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let mut paths = Vec::new();
    for set in ["fixtures", "spamassassin", "linux-mips"] {
        let mut ps = Vec::new();
        files(&root.join(set), &mut ps);
        paths.extend(ps.into_iter().map(|p| (set, p)));
    }
    let store = &store;
    // Concurrent ingests let the store batch its commits (the test is fsync-bound otherwise).
    let results: Vec<Option<Seen>> = futures::stream::iter(paths)
        .map(|(_set, p)| async move { check(store, &p).await })
        .buffer_unordered(16)
        .collect()
        .await;
    let (mut messages, mut bytes, mut failures) = (0u64, 0u64, Vec::new());
    let (mut b64_segments, mut qp_runs, mut qp_segments) = (0u64, 0u64, 0u64);
    for seen in results.into_iter().flatten() {
        messages += 1;
        bytes += seen.size;
        b64_segments += seen.b64_segments;
        qp_runs += seen.qp_runs;
        qp_segments += seen.qp_segments;
        failures.extend(seen.failure);
    }
    println!(
        "ingest: {messages} messages, {bytes} bytes, {b64_segments} base64 segments, \
         {qp_runs} quoted-printable runs in {qp_segments} segments, {} failures; {:.1?}",
        failures.len(),
        t0.elapsed()
    );
    assert!(messages > 0);
    assert!(failures.is_empty(), "{failures:?}");
}
