//! `GET /metrics` (operator): Prometheus text format (version 0.0.4) with this process's API
//! request counters and the store's own counters (`StoreStats`). Other daemons' counters are
//! not collected here (they run in other processes or keep none yet).

use crate::auth::Principal;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Requests answered, by status class (1xx..5xx).
#[derive(Debug, Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
}

impl Metrics {
    fn record(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// Middleware counting every response.
pub async fn count(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    st.metrics.record(resp.status().as_u16());
    resp
}

pub async fn metrics(p: Principal, State(st): State<AppState>) -> ApiResult<Response> {
    p.require_operator()?;
    let mut out = String::new();
    out.push_str("# HELP eider_api_requests_total HTTP requests answered by eider-api.\n");
    out.push_str("# TYPE eider_api_requests_total counter\n");
    for (i, c) in st.metrics.by_class.iter().enumerate() {
        let _ = writeln!(
            out,
            "eider_api_requests_total{{class=\"{}xx\"}} {}",
            i + 1,
            c.load(Ordering::Relaxed)
        );
    }
    let stats = st.ctx.store.stats();
    out.push_str(
        "# HELP eider_store_content_bytes_read_total Message content bytes read from storage.\n",
    );
    out.push_str("# TYPE eider_store_content_bytes_read_total counter\n");
    let _ = writeln!(
        out,
        "eider_store_content_bytes_read_total {}",
        stats.content_bytes_read()
    );
    out.push_str("# HELP eider_store_commits_total Committed store write transactions.\n");
    out.push_str("# TYPE eider_store_commits_total counter\n");
    let _ = writeln!(
        out,
        "eider_store_commits_total {}",
        stats.commits.load(Ordering::Relaxed)
    );
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}
