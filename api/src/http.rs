//! One HTTP/1.1 connection handed over by the shared listener, served by hyper with the router.
//!
//! The API has no connection-level login, so its pre-login deadline is the header read: the
//! listener's absolute deadline runs until the first request's header is complete, and hyper's
//! `header_read_timeout` (the same `[api] pre_login_timeout_secs`) bounds every later one.
//! Invariant: handlers see the client address (from a trusted proxy's PROXY header, if any) as
//! `ConnectInfo<SocketAddr>`, as they did under `axum::serve`.

use axum::Router;
use axum::extract::{ConnectInfo, Request};
use eider_runtime::Shutdown;
use eider_runtime::listener::{self, Accepted};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::time::Duration;
use tokio::net::TcpStream;
use tower_service::Service;

/// Serves `a` until the client closes it, or, after `shutdown`, until its current request is
/// answered.
pub(crate) async fn serve_connection(
    a: Accepted<TcpStream>,
    app: Router,
    header_timeout: Duration,
    shutdown: Shutdown,
) {
    let Some(peer) = a.peer else { return };
    let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        // A complete request header: the connection is past its pre-login deadline.
        listener::logged_in();
        req.extensions_mut().insert(ConnectInfo(peer));
        app.clone().call(req)
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .serve_connection(TokioIo::new(a.stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "HTTP connection ended");
            }
            return;
        }
        () = shutdown.cancelled() => {}
    }
    conn.as_mut().graceful_shutdown();
    if let Err(e) = conn.await {
        tracing::debug!(%peer, error = %e, "HTTP connection ended during shutdown");
    }
}
