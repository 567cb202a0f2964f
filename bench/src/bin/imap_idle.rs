//! Many idle authenticated IMAP connections and the server's resident memory.
//!
//! `imap-idle serve -c CONFIG --max-connections N` runs `eider-imapd` (the library's `run_with`,
//! the daemon's own start-up) with the global connection limit raised: the configuration has no
//! key for it yet and the default (2,048) is below what this benchmark opens.
//!
//! `imap-idle connect --connections N` opens N connections (at most `--parallel` setting up at a
//! time), each doing LOGIN, SELECT INBOX and IDLE, holds them all for `--hold` seconds while
//! sampling the server's RSS (`--pid`, with its children), then ends IDLE and logs out on
//! every connection. Prints one JSON row. Raise `ulimit -n` in the shell for both processes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use eider_bench::stats::{memory, tree_rss_kib};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Barrier, Semaphore};

#[derive(Parser, Debug)]
#[command(about = "Idle authenticated IMAP connections and server memory")]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand, Debug)]
enum Mode {
    /// Run eider-imapd with a raised connection limit.
    Serve {
        #[arg(short, long)]
        config: std::path::PathBuf,
        #[arg(long, default_value_t = 20_000)]
        max_connections: usize,
    },
    /// Open the idle connections.
    Connect(ConnectArgs),
}

#[derive(Parser, Debug, Clone)]
struct ConnectArgs {
    #[arg(long, default_value = "127.0.0.1:1143")]
    addr: String,
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    /// Connections being set up at once.
    #[arg(long, default_value_t = 32)]
    parallel: usize,
    /// User name pattern; `{n}` is replaced by 1..=users (connection i uses user i mod users).
    #[arg(long, default_value = "testuser{n}")]
    user: String,
    #[arg(long, default_value_t = 100)]
    users: usize,
    #[arg(long, default_value = "pass")]
    password: String,
    /// Send IDLE after SELECT (otherwise the connections just sit selected).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    idle: bool,
    /// Seconds to hold all connections open.
    #[arg(long, default_value_t = 10)]
    hold: u64,
    /// Server process id, for its resident memory.
    #[arg(long)]
    pid: Option<u32>,
    #[arg(long, default_value = "server")]
    label: String,
}

fn main() -> anyhow::Result<()> {
    match Args::parse().mode {
        Mode::Serve {
            config,
            max_connections,
        } => serve(config, max_connections),
        Mode::Connect(args) => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(connect(args)),
    }
}

#[tokio::main]
async fn serve(config: std::path::PathBuf, max_connections: usize) -> anyhow::Result<()> {
    let started =
        eider_runtime::daemon::start("eider-imapd", Some(&config), |c| &c.imap.listen).await?;
    let listener = started.listener.into_tcp("eider-imapd")?;
    let options = eider_imapd::Options {
        max_connections,
        // Every load connection comes from one address.
        max_connections_per_address: None,
        ..Default::default()
    };
    eider_imapd::run_with(listener, started.ctx, started.shutdown, options).await?;
    Ok(())
}

async fn connect(args: ConnectArgs) -> anyhow::Result<()> {
    let args = Arc::new(args);
    let rss_before = args.pid.map(tree_rss_kib);
    let setup = Arc::new(Semaphore::new(args.parallel.max(1)));
    // Everyone set up (or failed) + the main task.
    let ready = Arc::new(Barrier::new(args.connections + 1));
    let release = Arc::new(tokio::sync::Notify::new());
    let go = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(args.connections);
    for i in 0..args.connections {
        let (args, setup, ready, release, go) = (
            Arc::clone(&args),
            Arc::clone(&setup),
            Arc::clone(&ready),
            Arc::clone(&release),
            Arc::clone(&go),
        );
        tasks.push(tokio::spawn(async move {
            let permit = setup.acquire_owned().await;
            let opened = open(&args, i).await;
            drop(permit);
            ready.wait().await;
            let mut s = match opened {
                Ok(s) => s,
                Err(e) => return Err(e),
            };
            let notified = release.notified();
            if !go.load(std::sync::atomic::Ordering::Acquire) {
                notified.await;
            }
            finish(&mut s, args.idle).await
        }));
    }
    ready.wait().await;
    let setup_secs = start.elapsed().as_secs_f64();
    let mut peak_kib = 0;
    let mut samples = Vec::new();
    for _ in 0..args.hold.max(1) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Some(pid) = args.pid {
            let kib = tree_rss_kib(pid);
            peak_kib = peak_kib.max(kib);
            samples.push(kib);
        }
    }
    let hwm = args.pid.and_then(memory).map(|m| m.hwm_kib);
    go.store(true, std::sync::atomic::Ordering::Release);
    release.notify_waiters();
    let (mut ok, mut failed, mut first_error) = (0usize, 0usize, None);
    for t in tasks {
        match t.await? {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                first_error.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let idle_kib = samples.last().copied();
    println!(
        "{}",
        serde_json::json!({
            "label": args.label,
            "connections": args.connections,
            "idle": args.idle,
            "ok": ok,
            "failed": failed,
            "first_error": first_error,
            "setup_seconds": setup_secs,
            "rss_before_mib": rss_before.map(|k| k as f64 / 1024.0),
            "rss_idle_mib": idle_kib.map(|k| k as f64 / 1024.0),
            "rss_peak_while_held_mib": args.pid.map(|_| peak_kib as f64 / 1024.0),
            "hwm_mib": hwm.map(|k| k as f64 / 1024.0),
            "kib_per_connection": match (idle_kib, rss_before) {
                (Some(a), Some(b)) => Some((a.saturating_sub(b)) as f64 / args.connections.max(1) as f64),
                _ => None,
            },
        })
    );
    Ok(())
}

type Stream = BufReader<TcpStream>;

async fn open(args: &ConnectArgs, i: usize) -> anyhow::Result<Stream> {
    let mut s = BufReader::with_capacity(1024, TcpStream::connect(&args.addr).await?);
    let greeting = line(&mut s).await?;
    anyhow::ensure!(greeting.starts_with("* OK"), "greeting: {greeting}");
    let user = args
        .user
        .replace("{n}", &(1 + i % args.users.max(1)).to_string());
    command(
        &mut s,
        "a1",
        &format!("LOGIN \"{user}\" \"{}\"", args.password),
    )
    .await?;
    command(&mut s, "a2", "SELECT INBOX").await?;
    if args.idle {
        s.get_mut().write_all(b"a3 IDLE\r\n").await?;
        loop {
            let l = line(&mut s).await?;
            if l.starts_with('+') {
                break;
            }
            anyhow::ensure!(l.starts_with('*'), "IDLE: {l}");
        }
    }
    Ok(s)
}

async fn finish(s: &mut Stream, idle: bool) -> anyhow::Result<()> {
    if idle {
        s.get_mut().write_all(b"DONE\r\n").await?;
        until_tagged(s, "a3").await?;
    }
    command(s, "a4", "LOGOUT").await
}

async fn line(s: &mut Stream) -> anyhow::Result<String> {
    let mut l = String::new();
    anyhow::ensure!(s.read_line(&mut l).await? > 0, "connection closed");
    Ok(l)
}

async fn command(s: &mut Stream, tag: &str, cmd: &str) -> anyhow::Result<()> {
    s.get_mut()
        .write_all(format!("{tag} {cmd}\r\n").as_bytes())
        .await?;
    until_tagged(s, tag).await
}

async fn until_tagged(s: &mut Stream, tag: &str) -> anyhow::Result<()> {
    let prefix = format!("{tag} ");
    loop {
        let l = line(s).await?;
        if let Some(rest) = l.strip_prefix(&prefix) {
            anyhow::ensure!(rest.starts_with("OK"), "{tag}: {}", rest.trim_end());
            return Ok(());
        }
    }
}
