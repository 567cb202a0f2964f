//! Authentication and authorisation.
//!
//! Two kinds of bearer token: static operator tokens from `[api] operator_tokens` (every user's
//! resources), and per-user tokens issued by `POST /authenticate`, kept in the store (only their
//! hash, see [`Tokens`]) with an expiry and revocable (`DELETE /authenticate`), so every API
//! process accepts them and a restart keeps them. Invariants: a request reaches a protected
//! handler only with a valid [`Principal`] in its extensions (the [`require`] middleware answers
//! 401 otherwise, 503 when the store cannot say); a user principal can only name its own user id
//! (403 otherwise); operator tokens are compared in constant time.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use eider_model::types::UserId;
use eider_store::MailStore;
use eider_store::StoreError;
use eider_store::StoreResult;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Who is calling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Principal {
    Operator,
    User(UserId),
}

impl Principal {
    /// The user a `{user}` path segment names: a decimal id or `me`. 403 for another user's id.
    pub fn user(&self, segment: &str) -> ApiResult<UserId> {
        let wanted = if segment == "me" {
            match self {
                Principal::User(id) => *id,
                Principal::Operator => {
                    return Err(ApiError::BadRequest(
                        "an operator token has no user: name one by id".into(),
                    ));
                }
            }
        } else {
            UserId(
                segment
                    .parse()
                    .map_err(|_| ApiError::NotFound(format!("user {segment}")))?,
            )
        };
        match self {
            Principal::Operator => Ok(wanted),
            Principal::User(id) if *id == wanted => Ok(wanted),
            Principal::User(_) => Err(ApiError::Forbidden("another user's resources".into())),
        }
    }

    pub fn require_operator(&self) -> ApiResult<()> {
        match self {
            Principal::Operator => Ok(()),
            Principal::User(_) => Err(ApiError::Forbidden("operator token required".into())),
        }
    }
}

/// Issued user tokens, kept in the store so that every API process accepts them and they
/// survive restarts. A token is `{user id}.{64 hex digits}` (256 random bits); the store holds
/// only its SHA-256, as the record `token/{user}/{hex sha256}` expiring with the token. The user
/// id prefix lets [`Tokens::revoke_user`] drop all of a user's tokens with one prefix delete.
#[derive(Clone)]
pub struct Tokens {
    store: Arc<dyn MailStore>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens")
    }
}

fn user_prefix(user: UserId) -> String {
    format!("token/{}/", user.0)
}

/// The record key of a well-formed token, and its user.
fn token_key(token: &str) -> Option<(UserId, String)> {
    let (user, secret) = token.split_once('.')?;
    if secret.len() != 64 || !secret.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let user = UserId(user.parse().ok()?);
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    Some((user, format!("{}{hash}", user_prefix(user))))
}

impl Tokens {
    pub fn new(store: Arc<dyn MailStore>) -> Self {
        Self { store }
    }

    /// A new random token for `user`, valid until `expires` (unix seconds).
    pub async fn issue(&self, user: UserId, expires: i64) -> StoreResult<String> {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = format!("{}.{}", user.0, hex::encode(raw));
        let Some((_, key)) = token_key(&token) else {
            return Err(StoreError::Internal("malformed token issued".into()));
        };
        let value = serde_json::json!({"user": user.0, "expires": expires}).to_string();
        self.store
            .record_put(&key, value.into_bytes(), Some(expires))
            .await?;
        Ok(token)
    }

    pub async fn revoke(&self, token: &str) -> StoreResult<bool> {
        match token_key(token) {
            Some((_, key)) => self.store.record_delete(&key).await,
            None => Ok(false),
        }
    }

    /// Drops every token of a user (deleted, password changed, disabled).
    pub async fn revoke_user(&self, user: UserId) -> StoreResult<()> {
        revoke_user_tokens(self.store.as_ref(), user).await
    }

    async fn check(&self, token: &str) -> StoreResult<Option<UserId>> {
        let Some((user, key)) = token_key(token) else {
            return Ok(None);
        };
        Ok(self.store.record_get(&key).await?.map(|_| user))
    }
}

/// Drops every API token of `user`, for changes made outside the API (`eider user passwd`,
/// `eider user delete`): a password change must end every session the old password opened.
pub async fn revoke_user_tokens(store: &dyn MailStore, user: UserId) -> StoreResult<()> {
    store.record_delete_prefix(&user_prefix(user)).await?;
    Ok(())
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The bearer token of a request, if well-formed.
pub fn bearer(req: &axum::http::request::Parts) -> Option<&str> {
    let v = req
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

async fn principal(state: &AppState, token: &str) -> StoreResult<Option<Principal>> {
    if state
        .ctx
        .config
        .api
        .operator_tokens
        .iter()
        .any(|t| !t.is_empty() && ct_eq(t.as_bytes(), token.as_bytes()))
    {
        return Ok(Some(Principal::Operator));
    }
    Ok(state.tokens.check(token).await?.map(Principal::User))
}

/// Middleware: 401 unless the request carries a valid token; stores the [`Principal`].
pub async fn require(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let found = match bearer(&parts) {
        Some(t) => principal(&state, t).await,
        None => Ok(None),
    };
    let p = match found {
        Ok(Some(p)) => p,
        Ok(None) => return axum::response::IntoResponse::into_response(ApiError::Unauthorized),
        Err(e) => return axum::response::IntoResponse::into_response(ApiError::from(e)),
    };
    // Cross-user access is refused here, before any body is read, so a malformed body aimed at
    // another user's resource is still a 403.
    if let Some(seg) = parts.uri.path().strip_prefix("/users/")
        && let Some(seg) = seg.split('/').next()
        && !seg.is_empty()
        && let Err(e) = p.user(seg)
        && matches!(e, ApiError::Forbidden(_))
    {
        return axum::response::IntoResponse::into_response(e);
    }
    parts.extensions.insert(p);
    next.run(Request::from_parts(parts, body)).await
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .copied()
            .ok_or(ApiError::Unauthorized)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_keys() {
        let secret = "ab".repeat(32);
        let good = format!("7.{secret}");
        let (user, key) = token_key(&good).unwrap();
        assert_eq!(user, UserId(7));
        assert!(key.starts_with("token/7/") && key.len() == "token/7/".len() + 64);
        assert!(
            !key.contains(&secret),
            "the stored key must not contain the token"
        );
        for bad in [
            String::new(),
            secret.clone(),
            format!("x.{secret}"),
            format!("7.{}", &secret[1..]),
            format!("7.{}z", &secret[1..]),
            format!("-7.{secret}"),
        ] {
            assert_eq!(token_key(&bad), None, "{bad}");
        }
    }
}
