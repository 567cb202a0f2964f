//! `eider-imapd`: the IMAP server as a process of its own (`eider serve` runs it together with the others).
//! Start-up is shared with every daemon (`eider_runtime::daemon::start`); this file picks the
//! listeners: `[imap]` (plain, with STARTTLS) and, if enabled, `[imaps]` (implicit TLS).

use clap::Parser;
use std::path::PathBuf;

#[derive(Parser)]
#[command(version, about = "Eider IMAP server")]
struct Args {
    /// Configuration file; without it, the built-in defaults (plus EIDER_* overrides).
    #[arg(short, long, value_name = "FILE", env = "EIDER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    eider_runtime::daemon::exit("eider-imapd", run(args).await)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started =
        eider_runtime::daemon::start("eider-imapd", args.config.as_deref(), |c| &c.imap.listen)
            .await?;
    let plain = started.listener.into_tcp("eider-imapd")?;
    let imaps = &started.ctx.config.imaps;
    let implicit_tls = match imaps.enabled() {
        true => {
            let l = eider_runtime::daemon::bind(&imaps.listen).await?;
            tracing::info!("eider-imapd (implicit TLS) listening on {}", l.describe());
            Some(l.into_tcp("eider-imapd")?)
        }
        false => None,
    };
    // Loaded once and reloaded on SIGHUP (and when the files change).
    let tls = eider_runtime::daemon::load_tls(&started.ctx.config)?;
    let listeners = eider_imapd::Listeners {
        plain: Some(plain),
        implicit_tls,
        tls,
    };
    let options = eider_imapd::Options::from_config(&started.ctx.config);
    eider_imapd::run_listeners(listeners, started.ctx, started.shutdown, options).await
}
