//! eider-imapd (not yet implemented: see the issue tracker).

// Tests may unwrap (house style); production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod fetch;
pub mod mailbox;
pub mod proto;
pub mod search;
pub mod session;

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
