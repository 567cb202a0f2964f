//! API errors: every failure becomes a JSON body `{"error": CODE, "message": TEXT}` with the
//! HTTP status that says who is at fault. Internal details are logged, never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use eider_store::error::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body too large")]
    TooLarge,
    #[error("over quota")]
    OverQuota,
    #[error("range not satisfiable")]
    RangeNotSatisfiable(u64),
    #[error("unsupported media type: {0}")]
    UnsupportedMedia(String),
    #[error("service unavailable")]
    Unavailable,
    /// Too many failed logins for the user name or client address (`eider_runtime::auth_limit`);
    /// the seconds until the client may retry (the `Retry-After` header).
    #[error("too many authentication failures; try again later")]
    TooManyRequests(u64),
    #[error("relay failed: {0}")]
    BadGateway(String),
    #[error("internal error")]
    Internal,
}

impl ApiError {
    fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            ApiError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            ApiError::OverQuota => (StatusCode::INSUFFICIENT_STORAGE, "over_quota"),
            ApiError::RangeNotSatisfiable(_) => {
                (StatusCode::RANGE_NOT_SATISFIABLE, "range_not_satisfiable")
            }
            ApiError::UnsupportedMedia(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            ApiError::Unavailable => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            ApiError::TooManyRequests(_) => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            ApiError::BadGateway(_) => (StatusCode::BAD_GATEWAY, "relay_failed"),
            ApiError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => ApiError::NotFound(what),
            StoreError::AlreadyExists(what) => ApiError::Conflict(format!("{what} already exists")),
            StoreError::OverQuota => ApiError::OverQuota,
            StoreError::Invalid(why) => ApiError::BadRequest(why),
            StoreError::NotAllowed(why) => ApiError::Conflict(format!("not allowed: {why}")),
            e if e.is_temporary() => {
                tracing::warn!(error = %e, "store temporarily failing");
                ApiError::Unavailable
            }
            e => {
                tracing::error!(error = %e, "store failure");
                ApiError::Internal
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status();
        let body = Json(serde_json::json!({"error": code, "message": self.to_string()}));
        let mut resp = (status, body).into_response();
        match self {
            ApiError::Unauthorized => {
                resp.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer"),
                );
            }
            // RFC 6585 §4, RFC 9110 §10.2.3.
            ApiError::TooManyRequests(secs) => {
                resp.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, secs.into());
            }
            ApiError::RangeNotSatisfiable(size) => {
                if let Ok(v) = axum::http::HeaderValue::from_str(&format!("bytes */{size}")) {
                    resp.headers_mut()
                        .insert(axum::http::header::CONTENT_RANGE, v);
                }
            }
            _ => {}
        }
        resp
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
