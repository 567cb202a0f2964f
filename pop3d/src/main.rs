//! `eider-pop3d`: the POP3 daemon on its own (the `eider serve` command runs it in-process too).

use anyhow::Context as _;
use clap::Parser;
use eider_common::config::Config;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(about = "Eider POP3 server")]
struct Args {
    /// Configuration file; without it the defaults (plus EIDER_* overrides) are used.
    #[arg(long, env = "EIDER_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("EIDER_LOG"))
        .init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::from_env()?,
    };
    let store = eider_common::open::open_store(&config).await?;
    let bind = |addr: &str| {
        let addr = addr.to_owned();
        async move {
            TcpListener::bind(&addr)
                .await
                .with_context(|| format!("binding {addr}"))
        }
    };
    let plain = match config.pop3.enabled() {
        true => Some(bind(&config.pop3.listener.listen).await?),
        false => None,
    };
    let tls = match config.pop3s.enabled() {
        true => Some(bind(&config.pop3s.listen).await?),
        false => None,
    };
    let shutdown = eider_common::Shutdown::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    let ctx = eider_common::Context {
        config: Arc::new(config),
        store,
    };
    eider_pop3d::run_listeners(plain, tls, ctx, shutdown).await
}
