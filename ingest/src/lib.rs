//! eider-ingest (not yet implemented: see the issue tracker).

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
