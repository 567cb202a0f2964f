//! Memory flatness of ingest: delivers one large generated message (a base64 attachment of
//! `--mb` megabytes plus a text part) over LMTP and reports the server's resident memory before,
//! at its peak during the delivery, and after. Target: growth under 16 MiB for 100 MB.
//!
//! usage: big-message --addr 127.0.0.1:2424 --pid PID --rcpt user@example.org --mb 100

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use eider_bench::stats::tree_rss_kib;
use eider_tests::lmtp_client::LmtpClient;

#[derive(Parser, Debug)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:2424")]
    addr: String,
    /// Server process id (its resident memory is sampled from /proc).
    #[arg(long)]
    pid: u32,
    #[arg(long, default_value = "testuser1@localhost")]
    rcpt: String,
    /// Attachment size in MB (decoded).
    #[arg(long, default_value_t = 100)]
    mb: usize,
    #[arg(long, default_value = "server")]
    label: String,
}

/// A multipart message with a text part and a base64 attachment of `mb` MB of varied bytes.
fn message(mb: usize) -> Vec<u8> {
    let mut m = b"From: bench@example.org\r\nTo: user@example.org\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nA large attachment follows.\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut x: u32 = 0x1234_5678;
    let lines = mb * 1_000_000 / 57;
    for _ in 0..lines {
        for _ in 0..76 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            m.push(B64[(x & 63) as usize]);
        }
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let msg = message(args.mb);
    let before = tree_rss_kib(args.pid);
    let peak = Arc::new(AtomicU64::new(before));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, stop, pid) = (Arc::clone(&peak), Arc::clone(&stop), args.pid);
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                peak.fetch_max(tree_rss_kib(pid), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    let t = Instant::now();
    let mut c = LmtpClient::connect(&args.addr).await?;
    let (_, replies) = c.deliver("bench@example.org", &[&args.rcpt], &msg).await?;
    c.quit().await?;
    let secs = t.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    sampler.await?;
    let after = tree_rss_kib(args.pid);
    let peak = peak.load(Ordering::Relaxed);
    anyhow::ensure!(
        replies.first().is_some_and(|r| r.code == 250),
        "delivery failed: {replies:?}"
    );
    println!(
        "{}",
        serde_json::json!({
            "label": args.label,
            "message_mb": msg.len() as f64 / 1e6,
            "seconds": secs,
            "rss_before_mib": before as f64 / 1024.0,
            "rss_peak_mib": peak as f64 / 1024.0,
            "rss_after_mib": after as f64 / 1024.0,
            "growth_mib": peak.saturating_sub(before) as f64 / 1024.0,
        })
    );
    Ok(())
}
