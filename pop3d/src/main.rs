//! `eider-pop3d`: the POP3 server as a process of its own (`eider serve` runs it together with the others).
//! Start-up is shared with every daemon (`eider_runtime::daemon::start`); this file picks the
//! listeners: `[pop3]` (plain, with STLS) and, if enabled, `[pop3s]` (implicit TLS).

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Eider POP3 server")]
struct Args {
    /// Configuration file; without it, the built-in defaults (plus EIDER_* overrides).
    #[arg(short, long, value_name = "FILE", env = "EIDER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    eider_runtime::daemon::exit("eider-pop3d", run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started =
        eider_runtime::daemon::start("eider-pop3d", args.config.as_deref(), |c| &c.pop3.listen)
            .await?;
    let plain = started.listener.into_tcp("eider-pop3d")?;
    let pop3s = &started.ctx.config.pop3s;
    let tls = match pop3s.enabled() {
        true => {
            let l = eider_runtime::daemon::bind(&pop3s.listen).await?;
            tracing::info!("eider-pop3d (implicit TLS) listening on {}", l.describe());
            Some(l.into_tcp("eider-pop3d")?)
        }
        false => None,
    };
    // Loaded once and reloaded on SIGHUP (and when the files change).
    let identity = eider_runtime::daemon::load_tls(&started.ctx.config)?;
    eider_pop3d::run_listeners_tls(Some(plain), tls, identity, started.ctx, started.shutdown).await
}
