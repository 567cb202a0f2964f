//! `eider-api`: the HTTP API as a process of its own (`eider serve` runs it together with the others).
//! Start-up is shared with every daemon (`eider_runtime::daemon::start`); this file only picks
//! the listener.

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Eider HTTP API")]
struct Args {
    /// Configuration file; without it, the built-in defaults (plus EIDER_* overrides).
    #[arg(short, long, value_name = "FILE", env = "EIDER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    eider_runtime::daemon::exit("eider-api", run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started =
        eider_runtime::daemon::start("eider-api", args.config.as_deref(), |c| &c.api.listen)
            .await?;
    let listener = started.listener.into_tcp("eider-api")?;
    eider_api::run(listener, started.ctx, started.shutdown).await
}
