//! The one place a store failure becomes an HTTP answer: `impl From<StoreError> for ApiError`.
//!
//! Handlers use `?` on store calls and get this mapping; nothing else in the crate looks at a
//! `StoreError`'s variant. [`crate::error`] turns the `ApiError` into the status, the JSON body
//! `{"error": CODE, "message": TEXT}` and the headers.
//!
//! Invariants:
//! - A user error keeps the store's text, which names what the client asked for: `NotFound`
//!   404, `AlreadyExists` and `NotAllowed` 409 (RFC 9110 §15.5.10: a conflict with the current
//!   state of the resource), `Invalid` 400.
//! - Over quota is 507 (RFC 4918 §11.5, the status WebDAV quotas use, RFC 4331 §6), not 413:
//!   413 already means "this request body is too large" (RFC 9110 §15.5.14), which the client
//!   cures by sending less; 507 says the user's storage is full, which only deleting cures.
//! - A failure a retry may cure (`StoreError::is_temporary`: `Unavailable`, `Internal`) is 503
//!   with `Retry-After` (RFC 9110 §15.6.4, §10.2.3); corrupt or missing data is 500. Both
//!   answer a generic text; the error goes only to the log.

use crate::error::ApiError;
use eider_store::error::StoreError;

/// `Retry-After` of a 503: long enough for a store failover (a replica set elects a new
/// primary in seconds), short enough that a client does not give up on a blip.
pub const RETRY_AFTER_SECS: u64 = 5;

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
                ApiError::Unavailable(RETRY_AFTER_SECS)
            }
            e => {
                tracing::error!(error = %e, "store failure");
                ApiError::Internal
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use eider_model::types::BlobId;
    use serde_json::{Value, json};

    /// One of each variant (`StoreError` is `#[non_exhaustive]`: add new ones here) with the
    /// status, the JSON body and the `Retry-After` header it answers.
    fn table() -> Vec<(StoreError, u16, Value, Option<&'static str>)> {
        let unavailable = json!({"error": "unavailable", "message": "service unavailable"});
        let internal = json!({"error": "internal", "message": "internal error"});
        vec![
            (
                StoreError::NotFound("mailbox 9".into()),
                404,
                json!({"error": "not_found", "message": "mailbox 9 not found"}),
                None,
            ),
            (
                StoreError::AlreadyExists("mailbox Work".into()),
                409,
                json!({"error": "conflict", "message": "mailbox Work already exists"}),
                None,
            ),
            (
                StoreError::OverQuota,
                507,
                json!({"error": "over_quota", "message": "over quota"}),
                None,
            ),
            (
                StoreError::Invalid("mailbox name \"\"".into()),
                400,
                json!({"error": "bad_request", "message": "mailbox name \"\""}),
                None,
            ),
            (
                StoreError::NotAllowed("INBOX cannot be deleted".into()),
                409,
                json!({"error": "conflict", "message": "not allowed: INBOX cannot be deleted"}),
                None,
            ),
            (
                StoreError::MissingBlob(BlobId([7; 32])),
                500,
                internal.clone(),
                None,
            ),
            (
                StoreError::Unavailable("no primary".into()),
                503,
                unavailable.clone(),
                Some("5"),
            ),
            (
                StoreError::Corrupt("bad record".into()),
                500,
                internal,
                None,
            ),
            (
                StoreError::Internal("disk".into()),
                503,
                unavailable,
                Some("5"),
            ),
        ]
    }

    #[tokio::test]
    async fn every_variant_answers_its_status_body_and_headers() {
        for (e, status, body, retry_after) in table() {
            let what = format!("{e:?}");
            let resp = ApiError::from(e).into_response();
            assert_eq!(resp.status().as_u16(), status, "{what}");
            let header = resp
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap());
            assert_eq!(header, retry_after, "{what}");
            let bytes = axum::body::to_bytes(resp.into_body(), 4096).await.unwrap();
            let got: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(got, body, "{what}");
        }
    }

    /// Every operation that reaches the store (all but the two public documents) documents the
    /// server-side answers of this mapping, so `api/openapi.json` stays true.
    #[test]
    fn openapi_documents_the_server_side_answers() {
        let doc: Value = serde_json::from_str(crate::OPENAPI).unwrap();
        for (path, ops) in doc["paths"].as_object().unwrap() {
            if matches!(path.as_str(), "/health" | "/openapi.json") {
                continue;
            }
            for (method, op) in ops.as_object().unwrap() {
                let r = &op["responses"];
                assert!(r.get("500").is_some(), "{method} {path} lacks 500");
                assert!(
                    r["503"]["headers"].get("Retry-After").is_some(),
                    "{method} {path} lacks 503 with Retry-After"
                );
            }
        }
    }
}
