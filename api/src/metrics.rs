//! `GET /metrics` (operator): every Eider process's metrics in the Prometheus text format
//! (version 0.0.4), rendered by `ctx.metrics` (`eider_runtime::metrics`): this process's registry
//! (under `eider serve` that holds every daemon's counters) and, with `[redis] url`, the
//! snapshots other processes publish there. The catalogue of names is in docs/api.md "Metrics".
//!
//! This module also records the API's own requests: a middleware counts each response by
//! route template, method and status and times it. Route labels are the router's templates
//! (`/users/{user}/...`), never the request's own path, so label values stay bounded.

use crate::auth::Principal;
use crate::error::ApiResult;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use eider_runtime::metrics::{CounterVec, HistogramVec, Registry};
use std::time::Instant;

/// The API's request counters.
#[derive(Debug)]
pub struct Metrics {
    requests: CounterVec,
    seconds: HistogramVec,
}

impl Metrics {
    pub fn new(r: &Registry) -> Self {
        Self {
            requests: r.counter_vec(
                "eider_api_requests_total",
                "HTTP requests answered by eider-api, by route template, method and status.",
                &["route", "method", "status"],
            ),
            seconds: r.histogram_vec(
                "eider_api_request_duration_seconds",
                "Time to the response head (an event stream's lifetime is not included).",
                &["route"],
            ),
        }
    }
}

/// Middleware counting and timing every response.
pub async fn count(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // Unmatched paths (404s, probes) share one label value.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str())
        .to_owned();
    let method = req.method().as_str().to_owned();
    let resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    let m = &st.metrics;
    m.requests.with(&[&route, &method, &status]).inc();
    m.seconds.with(&[&route]).observe(started.elapsed());
    resp
}

pub async fn metrics(p: Principal, State(st): State<AppState>) -> ApiResult<Response> {
    p.require_operator()?;
    let text = st.ctx.metrics.render().await;
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}
