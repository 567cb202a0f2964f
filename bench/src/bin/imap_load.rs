//! IMAP load generator in the spirit of Dovecot's imaptest stress mode: N clients each log in,
//! select INBOX and run random operations (FETCH flags / envelope / body, STORE, APPEND,
//! EXPUNGE, re-login) with fixed probabilities. Reports operations/s, latency percentiles and
//! the server's CPU seconds per operation (from `/proc` when `--pid` is given).
//!
//! Run the same command against Eider and Dovecot with the same mailbox contents to compare.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use eider_bench::stats::{Latencies, tree_cpu_secs};
use eider_tests::imap_client::ImapClient;

#[derive(Parser, Debug, Clone)]
#[command(about = "Random IMAP operations from N clients; reports ops/s and latency")]
struct Args {
    #[arg(long, default_value = "127.0.0.1:1143")]
    addr: String,
    #[arg(long, default_value_t = 10)]
    clients: usize,
    /// Run time in seconds.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// User name pattern; `{n}` is replaced by 1..=users (client i uses user i mod users).
    #[arg(long, default_value = "testuser{n}")]
    user: String,
    #[arg(long, default_value_t = 10)]
    users: usize,
    #[arg(long, default_value = "pass")]
    password: String,
    /// Server process id, for CPU per operation.
    #[arg(long)]
    pid: Option<u32>,
    #[arg(long, default_value = "server")]
    label: String,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Instead of the random load: one client runs `SEARCH <this>` (e.g. `BODY zebra`) on
    /// INBOX `--repeat` times and reports each time and the hit count.
    #[arg(long)]
    search: Option<String>,
    #[arg(long, default_value_t = 3)]
    repeat: usize,
}

const APPEND_MSG: &[u8] = b"From: load@example.org\r\nTo: user@example.org\r\nSubject: load test\r\nMessage-ID: <load@example.org>\r\n\r\nA short body for the load generator.\r\n";

/// A small xorshift generator: deterministic per client, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Arc::new(Args::parse());
    if let Some(query) = &args.search {
        return search(&args, query).await;
    }
    let cpu0 = args.pid.map(tree_cpu_secs);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for i in 0..args.clients {
        let args = Arc::clone(&args);
        tasks.push(tokio::spawn(
            async move { client(&args, i, deadline).await },
        ));
    }
    let mut lat = Latencies::default();
    let mut errors = 0usize;
    for t in tasks {
        let (l, e) = t.await??;
        lat.extend(l);
        errors += e;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu = match (args.pid, cpu0) {
        (Some(pid), Some(c0)) => Some(tree_cpu_secs(pid) - c0),
        _ => None,
    };
    let ops = lat.len();
    println!(
        "{}",
        serde_json::json!({
            "label": args.label,
            "clients": args.clients,
            "ops": ops,
            "errors": errors,
            "seconds": secs,
            "ops_per_s": ops as f64 / secs,
            "p50_ms": lat.percentile_ms(50.0),
            "p95_ms": lat.percentile_ms(95.0),
            "p99_ms": lat.percentile_ms(99.0),
            "server_cpu_ms_per_op": cpu.map(|c| c * 1000.0 / ops.max(1) as f64),
            "server_cpu_percent": cpu.map(|c| c * 100.0 / secs),
        })
    );
    Ok(())
}

/// Times one SEARCH repeated on INBOX (the first run reads from disk or page cache, later runs
/// show what caches give).
async fn search(args: &Args, query: &str) -> anyhow::Result<()> {
    let (mut c, exists) = login(args, 0).await?;
    let cpu0 = args.pid.map(tree_cpu_secs);
    let mut times = Vec::new();
    let mut hits = 0;
    for _ in 0..args.repeat.max(1) {
        let t = Instant::now();
        let r = c.command(&format!("SEARCH {query}")).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(r.is_ok(), "SEARCH {query}: {}", r.status);
        hits = r
            .lines()
            .iter()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .map(|l| l.split_whitespace().count())
            .sum::<usize>();
    }
    let cpu = match (args.pid, cpu0) {
        (Some(pid), Some(c0)) => Some(tree_cpu_secs(pid) - c0),
        _ => None,
    };
    let _ = c.command("LOGOUT").await;
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        serde_json::json!({
            "label": args.label,
            "search": query,
            "messages": exists,
            "hits": hits,
            "ms": times,
            "median_ms": sorted[sorted.len() / 2],
            "server_cpu_ms_per_search": cpu.map(|c| c * 1000.0 / times.len() as f64),
        })
    );
    Ok(())
}

async fn login(args: &Args, i: usize) -> anyhow::Result<(ImapClient, u32)> {
    let mut c = ImapClient::connect(&args.addr).await?;
    let user = args
        .user
        .replace("{n}", &(1 + i % args.users.max(1)).to_string());
    let r = c
        .command(&format!("LOGIN \"{user}\" \"{}\"", args.password))
        .await?;
    anyhow::ensure!(r.is_ok(), "login {user}: {}", r.status);
    let r = c.command("SELECT INBOX").await?;
    anyhow::ensure!(r.is_ok(), "select: {}", r.status);
    Ok((c, exists(&r.lines())))
}

fn exists(lines: &[String]) -> u32 {
    lines
        .iter()
        .rev()
        .find_map(|l| {
            l.strip_prefix("* ")?
                .strip_suffix(" EXISTS\r\n")?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

/// The message count after a response's untagged EXISTS and EXPUNGE lines, in order (other
/// sessions' `\Deleted` messages are expunged too, so one EXPUNGE command may remove several).
fn track(mut n: u32, lines: &[String]) -> u32 {
    for l in lines {
        let Some(rest) = l.strip_prefix("* ") else {
            continue;
        };
        if rest.ends_with(" EXPUNGE\r\n") {
            n = n.saturating_sub(1);
        } else if let Some(e) = rest
            .strip_suffix(" EXISTS\r\n")
            .and_then(|v| v.parse().ok())
        {
            n = e;
        }
    }
    n
}

async fn client(args: &Args, i: usize, deadline: Instant) -> anyhow::Result<(Latencies, usize)> {
    let mut rng = Rng(args.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i as u64 + 1));
    let (mut c, mut n) = login(args, i).await?;
    let mut lat = Latencies::default();
    let mut errors = 0;
    while Instant::now() < deadline {
        let seq = 1 + rng.below(u64::from(n.max(1)));
        let roll = rng.below(100);
        let t = Instant::now();
        let r = match roll {
            0..=29 => c.command("FETCH 1:* (FLAGS)").await?,
            30..=49 => {
                c.command(&format!("FETCH {seq} (UID RFC822.SIZE ENVELOPE)"))
                    .await?
            }
            50..=64 => c.command(&format!("FETCH {seq} (BODY.PEEK[])")).await?,
            65..=79 => c.command(&format!("STORE {seq} +FLAGS (\\Seen)")).await?,
            80..=87 => c.append("INBOX", "", APPEND_MSG).await?,
            88..=94 => {
                let r = c
                    .command(&format!("STORE {seq} +FLAGS.SILENT (\\Deleted)"))
                    .await?;
                if r.is_ok() {
                    c.command("EXPUNGE").await?
                } else {
                    r
                }
            }
            _ => {
                let _ = c.command("LOGOUT").await;
                let (nc, nn) = login(args, i).await?;
                c = nc;
                n = nn;
                lat.push(t.elapsed());
                continue;
            }
        };
        lat.push(t.elapsed());
        if !r.is_ok() {
            errors += 1;
            if errors <= 3 {
                eprintln!("{} client {i}: {} (op {roll})", args.label, r.status);
            }
        }
        n = track(n, &r.lines());
    }
    let _ = c.command("LOGOUT").await;
    Ok((lat, errors))
}
