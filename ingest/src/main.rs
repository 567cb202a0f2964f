//! `eider-ingest`: the LMTP delivery server as a process of its own (`eider serve` runs it together with the others).
//! Start-up is shared with every daemon (`eider_runtime::daemon::start`); this file only picks
//! the listener.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Eider LMTP delivery server")]
struct Args {
    /// Configuration file; without it, the built-in defaults (plus EIDER_* overrides).
    #[arg(short, long, value_name = "FILE", env = "EIDER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    eider_runtime::daemon::exit("eider-ingest", run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started =
        eider_runtime::daemon::start("eider-ingest", args.config.as_deref(), |c| &c.lmtp.listen)
            .await?;
    // Ingest creates blobs, so it also collects the ones deliveries left unreferenced.
    eider_runtime::sweeper::spawn(
        std::sync::Arc::clone(&started.ctx.store),
        started.ctx.config.store.clone(),
        started.shutdown.clone(),
    );
    eider_ingest::run_listener(started.listener, started.ctx, started.shutdown).await
}
