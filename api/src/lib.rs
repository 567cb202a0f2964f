//! eider-api: the HTTP/JSON API (axum). Routes, the auth layer and the server loop live here;
//! each resource has its module.
//!
//! Invariant: every route except `POST /authenticate`, `GET /health` and `GET /openapi.json`
//! sits behind [`auth::require`] (401 without a valid bearer token), including unknown paths, so
//! nothing is reachable without a token. The OpenAPI document served is `api/openapi.json`,
//! compiled in; a test checks that it names exactly the routes registered here.

pub mod auth;
mod decode;
mod download;
pub mod error;
mod events;
mod extract;
mod http;
mod junk;
mod mailboxes;
mod messages;
mod metrics;
mod outbox;
mod parsed;
mod search;
mod smtp;
pub mod state;
pub mod store_error;
mod submit;
mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use eider_runtime::Context;
use eider_runtime::Shutdown;
use eider_runtime::listener::{self, Listener, Socket, refusal};
use state::AppState;
use std::sync::Arc;

/// The OpenAPI 3 document, as served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("../openapi.json");

/// Every route as `(method, path)`, for the OpenAPI completeness test.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/authenticate"),
    ("delete", "/authenticate"),
    ("get", "/health"),
    ("get", "/openapi.json"),
    ("get", "/users"),
    ("post", "/users"),
    ("get", "/users/{user}"),
    ("put", "/users/{user}"),
    ("delete", "/users/{user}"),
    ("get", "/users/{user}/quota"),
    ("get", "/users/{user}/addresses"),
    ("post", "/users/{user}/addresses"),
    ("get", "/users/{user}/addresses/{address}"),
    ("delete", "/users/{user}/addresses/{address}"),
    ("get", "/addresses/resolve/{address}"),
    ("get", "/users/{user}/mailboxes"),
    ("post", "/users/{user}/mailboxes"),
    ("get", "/users/{user}/mailboxes/{mailbox}"),
    ("put", "/users/{user}/mailboxes/{mailbox}"),
    ("delete", "/users/{user}/mailboxes/{mailbox}"),
    ("get", "/users/{user}/mailboxes/{mailbox}/messages"),
    ("post", "/users/{user}/mailboxes/{mailbox}/messages"),
    ("post", "/users/{user}/mailboxes/{mailbox}/messages/batch"),
    ("get", "/users/{user}/mailboxes/{mailbox}/messages/{uid}"),
    ("put", "/users/{user}/mailboxes/{mailbox}/messages/{uid}"),
    ("delete", "/users/{user}/mailboxes/{mailbox}/messages/{uid}"),
    (
        "get",
        "/users/{user}/mailboxes/{mailbox}/messages/{uid}/raw",
    ),
    (
        "get",
        "/users/{user}/mailboxes/{mailbox}/messages/{uid}/attachments/{part}",
    ),
    ("get", "/users/{user}/updates"),
    ("get", "/metrics"),
    ("get", "/users/{user}/search"),
    ("post", "/users/{user}/submit"),
    ("get", "/webhooks"),
    ("post", "/webhooks"),
    ("delete", "/webhooks/{id}"),
];

/// The application router over `state`.
pub fn router(state: AppState) -> Router {
    let m = "/users/{user}/mailboxes/{mailbox}/messages";
    let protected = Router::new()
        .route("/authenticate", axum::routing::delete(users::revoke))
        .route("/users", get(users::list_users).post(users::create_user))
        .route(
            "/users/{user}",
            get(users::get_user)
                .put(users::update_user)
                .delete(users::delete_user),
        )
        .route("/users/{user}/quota", get(users::quota))
        .route(
            "/users/{user}/addresses",
            get(users::list_addresses).post(users::add_address),
        )
        .route(
            "/users/{user}/addresses/{address}",
            get(users::get_address).delete(users::delete_address),
        )
        .route("/addresses/resolve/{address}", get(users::resolve))
        .route(
            "/users/{user}/mailboxes",
            get(mailboxes::list).post(mailboxes::create),
        )
        .route(
            "/users/{user}/mailboxes/{mailbox}",
            get(mailboxes::get)
                .put(mailboxes::update)
                .delete(mailboxes::delete),
        )
        .route(m, get(messages::list).post(messages::upload))
        .route(&format!("{m}/batch"), post(messages::batch))
        .route(
            &format!("{m}/{{uid}}"),
            get(parsed::read)
                .put(messages::update)
                .delete(messages::delete),
        )
        .route(&format!("{m}/{{uid}}/raw"), get(download::raw))
        .route(
            &format!("{m}/{{uid}}/attachments/{{part}}"),
            get(download::attachment),
        )
        .route("/users/{user}/updates", get(events::updates))
        .route("/metrics", get(metrics::metrics))
        .route("/users/{user}/search", get(search::search))
        .route("/users/{user}/submit", post(submit::submit))
        .route("/webhooks", get(junk::list).post(junk::create))
        .route("/webhooks/{id}", axum::routing::delete(junk::delete))
        .fallback(|| async { error::ApiError::NotFound("route".into()) })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require,
        ));
    Router::new()
        .route("/authenticate", post(users::authenticate))
        .route("/health", get(users::health))
        .route(
            "/openapi.json",
            get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    OPENAPI,
                )
            }),
        )
        .merge(protected)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count,
        ))
        // Uploads enforce `limits.max_message_size` themselves while streaming.
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

/// Serves connections accepted on `listener` through the shared listener (`[api]` limits; the
/// pre-login deadline is the header read timeout) until `shutdown` is cancelled; then lets open
/// connections finish their requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    ctx: Context,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    let metrics = Arc::new(metrics::Metrics::new(ctx.metrics.registry()));
    let limits = ctx.config.api.listener();
    let header_timeout = limits.pre_login;
    let api_listener =
        Listener::new("api", &limits, ctx.metrics.registry())?.refusal(refusal::HTTP);
    let shutdown_accept = shutdown.clone();
    let state = AppState {
        http: junk::http_client(&ctx.config.api.webhook_ca)?,
        tokens: Arc::new(auth::Tokens::new(ctx.store.clone())),
        ctx,
        metrics,
        junk: tokio::sync::broadcast::channel(256).0,
        outbox_wake: Arc::new(tokio::sync::watch::channel(0).0),
        shutdown: shutdown.clone(),
    };
    outbox::spawn(&state);
    let app = router(state);
    tracing::info!(addr = ?listener.local_addr().ok(), "eider-api listening");
    let socket = vec![Socket::plain(listener)];
    let handler = move |a| http::serve_connection(a, app.clone(), header_timeout, shutdown.clone());
    listener::serve(api_listener, socket, shutdown_accept, handler).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The served document names exactly the registered routes, each with a 401 answer where
    /// a token is needed.
    #[test]
    fn openapi_lists_every_route() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        let mut documented = BTreeSet::new();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                documented.insert((method.clone(), path.clone()));
                let public = op
                    .get("security")
                    .is_some_and(|s| s == &serde_json::json!([]));
                assert!(
                    public || op["responses"].get("401").is_some(),
                    "{method} {path} lacks 401"
                );
            }
        }
        let routes: BTreeSet<(String, String)> = ROUTES
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        assert_eq!(documented, routes);
    }
}
