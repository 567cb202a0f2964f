//! LMTP load generator: N concurrent sessions deliver messages from a corpus folder to one
//! server, optionally fanning each message out to several recipients. Reports messages/s, MB/s,
//! latency percentiles, the message bytes delivered (each message once, whatever the fan-out)
//! and the server's peak RSS (sampled from `/proc` when `--pid` is given).
//!
//! Run the same command against Eider and Dovecot (`../shared/tools/dovecot-up.sh`) to compare.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Parser;
use eider_bench::stats::{Latencies, tree_rss_kib};
use eider_tests::corpus;
use eider_tests::lmtp_client::LmtpClient;

#[derive(Parser, Debug)]
#[command(about = "Deliver a corpus over LMTP with N connections and report throughput")]
struct Args {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:2424")]
    addr: String,
    /// Folder of message files (one per file), e.g. ../shared/corpus/linux-mips.
    #[arg(long)]
    corpus: PathBuf,
    /// Concurrent LMTP sessions.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Messages to deliver in total (cycling through the corpus); 0 = each file once.
    #[arg(long, default_value_t = 0)]
    messages: usize,
    /// Recipient address pattern; `{n}` is replaced by 1..=users.
    #[arg(long, default_value = "testuser{n}@localhost")]
    rcpt: String,
    /// Users to spread deliveries over.
    #[arg(long, default_value_t = 10)]
    users: usize,
    /// Recipients per message.
    #[arg(long, default_value_t = 1)]
    fanout: usize,
    /// Server process id, to sample its resident memory (with its children).
    #[arg(long)]
    pid: Option<u32>,
    /// Label for the output row.
    #[arg(long, default_value = "server")]
    label: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let files = corpus::files(&args.corpus);
    anyhow::ensure!(
        !files.is_empty(),
        "no messages under {}",
        args.corpus.display()
    );
    let messages: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).map(|b| corpus::wire_form(&b)))
        .collect::<Result<_, _>>()
        .context("reading corpus")?;
    let total = if args.messages == 0 {
        messages.len()
    } else {
        args.messages
    };
    let messages = Arc::new(messages);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicUsize::new(0));
    let sampler = args.pid.map(|pid| {
        let (stop, peak) = (Arc::clone(&stop), Arc::clone(&peak));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let kib = tree_rss_kib(pid) as usize;
                peak.fetch_max(kib, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.connections {
        let (messages, next) = (Arc::clone(&messages), Arc::clone(&next));
        let (addr, rcpt, users, fanout) = (
            args.addr.clone(),
            args.rcpt.clone(),
            args.users,
            args.fanout,
        );
        tasks.push(tokio::spawn(async move {
            worker(&addr, &messages, &next, total, &rcpt, users, fanout).await
        }));
    }
    let mut lat = Latencies::default();
    let (mut bytes, mut failed) = (0u64, 0usize);
    for t in tasks {
        let (l, b, f) = t.await??;
        lat.extend(l);
        bytes += b;
        failed += f;
    }
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    if let Some(s) = sampler {
        s.await?;
    }
    let n = lat.len();
    let row = serde_json::json!({
        "label": args.label,
        "connections": args.connections,
        "fanout": args.fanout,
        "messages": n,
        "failed": failed,
        "bytes": bytes,
        "seconds": secs,
        "msgs_per_s": n as f64 / secs,
        "mb_per_s": bytes as f64 / secs / 1e6,
        "p50_ms": lat.percentile_ms(50.0),
        "p90_ms": lat.percentile_ms(90.0),
        "p99_ms": lat.percentile_ms(99.0),
        "peak_rss_mib": peak.load(Ordering::Relaxed) as f64 / 1024.0,
    });
    println!("{row}");
    Ok(())
}

async fn worker(
    addr: &str,
    messages: &[Vec<u8>],
    next: &AtomicUsize,
    total: usize,
    rcpt: &str,
    users: usize,
    fanout: usize,
) -> anyhow::Result<(Latencies, u64, usize)> {
    let mut client = LmtpClient::connect(addr).await?;
    let mut lat = Latencies::default();
    let (mut bytes, mut failed) = (0u64, 0usize);
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total {
            break;
        }
        let msg = &messages[i % messages.len()];
        let rcpts: Vec<String> = (0..fanout)
            .map(|k| rcpt.replace("{n}", &(1 + (i + k) % users.max(1)).to_string()))
            .collect();
        let refs: Vec<&str> = rcpts.iter().map(String::as_str).collect();
        let t = Instant::now();
        let (_, replies) = client.deliver("bench@example.org", &refs, msg).await?;
        lat.push(t.elapsed());
        if replies.len() == fanout && replies.iter().all(|r| r.code == 250) {
            bytes += msg.len() as u64;
        } else {
            failed += 1;
        }
    }
    client.quit().await?;
    Ok((lat, bytes, failed))
}
