//! eider-ingest: the LMTP delivery daemon.
//!
//! `lmtp` is the sans-I/O protocol core; the network driver and delivery pipeline arrive with the
//! streaming ingest issue.

pub mod lmtp;

use eider_common::{Context, Shutdown};

/// Serves connections accepted on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let _ = (listener, ctx, shutdown);
    anyhow::bail!("eider-ingest is not implemented yet")
}
