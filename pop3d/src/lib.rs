//! eider-pop3d: POP3 (RFC 1939) with CAPA, RESP-CODES, SASL PLAIN, UTF8 and STLS.
//!
//! `proto` is the sans-I/O core; the rest is the async driver that owns sockets and makes the
//! store calls.

pub mod proto;

use eider_common::{Context, Shutdown};

/// Serves connections accepted on `listener` until `shutdown` is cancelled.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let _ = (listener, ctx, shutdown);
    anyhow::bail!("eider-pop3d is not implemented yet")
}
