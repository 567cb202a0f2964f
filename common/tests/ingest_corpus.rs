//! `ingest::prepare_message` against the real-mail corpus (`../shared/corpus` or
//! `EIDER_CORPUS`): every fixture, SpamAssassin and linux-mips file that mentions base64, in
//! CRLF wire form, is stored in a fresh embedded store; the segments must rebuild
//! the input exactly (`content::read_message`, and `content::read_range` over a few windows),
//! with the right size and SHA-256.

#![allow(clippy::unwrap_used)]

mod corpus_support;

use corpus_support::{corpus, crlf, files};
use eider_common::content::{read_message, read_range};
use eider_common::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_common::ingest::prepare_message;
use eider_common::mime::Limits;
use eider_common::model::{Segment, Transfer};
use futures::StreamExt;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::time::Instant;

fn mentions_base64(data: &[u8]) -> bool {
    data.windows(6).any(|w| w.eq_ignore_ascii_case(b"base64"))
}

/// Stores one file; `None` when it does not mention base64, else (size, base64 segments,
/// failure).
async fn check(store: &EmbeddedStore, p: &Path) -> Option<(u64, u64, Option<String>)> {
    let raw = std::fs::read(p).unwrap();
    // Messages without base64 exercise only skeleton and identity segments, which the
    // splitter's own corpus test covers; keep this (fsync-bound) test short.
    if !mentions_base64(&raw) {
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
    let b64 = prepared
        .segments
        .iter()
        .filter(|s| {
            matches!(
                s,
                Segment::Blob {
                    transfer: Transfer::Base64 { .. },
                    ..
                }
            )
        })
        .count() as u64;
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
    Some((n, b64, (!ok).then(|| p.display().to_string())))
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
    let results: Vec<Option<(u64, u64, Option<String>)>> = futures::stream::iter(paths)
        .map(|(_set, p)| async move { check(store, &p).await })
        .buffer_unordered(16)
        .collect()
        .await;
    let (mut messages, mut bytes, mut b64_segments, mut failures) = (0u64, 0u64, 0u64, Vec::new());
    for (n, b64, failure) in results.into_iter().flatten() {
        messages += 1;
        bytes += n;
        b64_segments += b64;
        failures.extend(failure);
    }
    println!(
        "ingest: {messages} messages, {bytes} bytes, {b64_segments} base64 segments, {} failures; {:.1?}",
        failures.len(),
        t0.elapsed()
    );
    assert!(messages > 0);
    assert!(failures.is_empty(), "{failures:?}");
}
