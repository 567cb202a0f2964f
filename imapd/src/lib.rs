//! eider-imapd (not yet implemented: see the issue tracker).

pub mod fetch;
pub mod mailbox;
pub mod search;

use eider_common::{Context, Shutdown};

/// Serves connections accepted on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let _ = (listener, ctx, shutdown);
    anyhow::bail!("eider-imapd is not implemented yet")
}
