//! Request extractors whose failures are JSON [`ApiError`]s (axum's own rejections are plain
//! text): a JSON body (content type checked, size bounded, unknown fields refused by the
//! target types' `deny_unknown_fields`), query strings, and opaque pagination cursors.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::de::DeserializeOwned;

/// A JSON request body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let ct = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !essence.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::UnsupportedMedia(
                "expected Content-Type: application/json".into(),
            ));
        }
        let limit = state.ctx.config.api.max_json_body;
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|_| ApiError::TooLarge)?;
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
    }
}

/// A query string.
#[derive(Debug)]
pub struct Q<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Q<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_like(q).map(Q)
    }
}

fn serde_urlencoded_like<T: DeserializeOwned>(q: &str) -> ApiResult<T> {
    let uri: axum::http::Uri = format!("/?{q}")
        .parse()
        .map_err(|_| ApiError::BadRequest("invalid query string".into()))?;
    axum::extract::Query::<T>::try_from_uri(&uri)
        .map(|axum::extract::Query(v)| v)
        .map_err(|e| ApiError::BadRequest(format!("invalid query: {}", e.body_text())))
}

/// Common page parameters.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 1000;

pub fn page_limit(limit: Option<usize>) -> ApiResult<usize> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        n @ 1..=MAX_LIMIT => Ok(n),
        _ => Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        ))),
    }
}

/// Encodes a cursor: `kind` guards against a cursor of one listing used on another.
pub fn cursor_encode(kind: &str, value: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{kind}:{value}"))
}

/// Decodes a cursor made by [`cursor_encode`] with the same `kind`; 400 otherwise.
pub fn cursor_decode(kind: &str, cursor: &str) -> ApiResult<String> {
    let bad = || ApiError::BadRequest("invalid cursor".into());
    let raw = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let value = text
        .strip_prefix(kind)
        .and_then(|r| r.strip_prefix(':'))
        .ok_or_else(bad)?;
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_foreign_kinds() {
        let c = cursor_encode("users", "42");
        assert_eq!(cursor_decode("users", &c).unwrap(), "42");
        for bad in [c.as_str(), "!!", "", "dXNlcnM"] {
            if bad == c {
                assert!(cursor_decode("mailboxes", bad).is_err());
            } else {
                assert!(cursor_decode("users", bad).is_err(), "{bad}");
            }
        }
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_LIMIT);
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_LIMIT + 1)).is_err());
        assert_eq!(page_limit(Some(7)).unwrap(), 7);
    }
}
