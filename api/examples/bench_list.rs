//! Benchmark: list a 10,000-message mailbox page by page over HTTP, then read parsed messages.
//!
//! `cargo run --release -p eider-api --example bench_list [-- MESSAGES PAGE]` (defaults 10000,
//! 100). Fills a temp embedded store through the same ingest path as LMTP (directly, not over
//! HTTP, so only the reads are timed), starts the API on 127.0.0.1:0 and prints the time per
//! page and per parsed read.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use eider_model::{Flags, NewMessage};
use eider_tests::harness::World;
use serde_json::Value;
use std::time::Instant;

const TOKEN: &str = "bench-operator-token";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: u32 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(10_000);
    let page: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let world = World::new(|c| c.api.operator_tokens = vec![TOKEN.into()])?;
    let user = world.user("bench", "pw", &["bench@example.org"]).await?;
    let inbox = world
        .store
        .find_mailbox(user.id, "INBOX")
        .await?
        .ok_or_else(|| anyhow::anyhow!("no INBOX"))?;
    let t = Instant::now();
    for i in 0..n {
        let raw = format!(
            "From: Sender {i} <s{i}@example.org>\r\nTo: bench@example.org\r\nSubject: message {i}\r\n\
             Date: Mon, 2 Jan 2023 10:00:00 +0000\r\nMessage-ID: <b{i}@example.org>\r\n\
             Content-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>{i}</b></p><script>x()</script>\r\n"
        );
        let p = eider_store::ingest::prepare_message(
            &*world.store,
            raw.as_bytes(),
            eider_mime::Limits::default(),
        )
        .await?;
        world
            .store
            .append(
                inbox.id,
                NewMessage {
                    flags: Flags::default(),
                    internal_date: 1_700_000_000 + i64::from(i),
                    internal_tz_minutes: 0,
                    size: p.size,
                    sha256: p.sha256,
                    segments: p.segments,
                    meta: p.meta,
                },
            )
            .await?;
    }
    println!("filled {n} messages in {:.1?}", t.elapsed());
    let addr = world.spawn(eider_api::run).await?;
    eider_runtime::transport::install_crypto_provider();
    let http = reqwest::Client::new();
    let base = format!(
        "http://{addr}/users/{}/mailboxes/{}/messages",
        user.id.0, inbox.id.0
    );
    for sort in ["uid", "date"] {
        let t = Instant::now();
        let (mut pages, mut items) = (0, 0);
        let mut cursor = String::new();
        loop {
            let v: Value = http
                .get(format!("{base}?limit={page}&sort={sort}{cursor}"))
                .bearer_auth(TOKEN)
                .send()
                .await?
                .json()
                .await?;
            pages += 1;
            items += v["items"].as_array().map_or(0, Vec::len);
            match v["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => break,
            }
        }
        let el = t.elapsed();
        println!(
            "list sort={sort}: {items} messages in {pages} pages of {page}: {el:.1?} ({:.2?}/page)",
            el / pages
        );
    }
    let reads = 1000.min(n);
    let t = Instant::now();
    for uid in 1..=reads {
        let r = http
            .get(format!("{base}/{uid}"))
            .bearer_auth(TOKEN)
            .send()
            .await?;
        anyhow::ensure!(r.status() == 200, "read {uid}: {}", r.status());
        let _: Value = r.json().await?;
    }
    let el = t.elapsed();
    println!(
        "parsed read: {reads} messages in {el:.1?} ({:.2?}/message)",
        el / reads
    );
    Ok(())
}
