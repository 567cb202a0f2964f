//! Authentication and authorisation.
//!
//! Two kinds of bearer token: static operator tokens from `[api] operator_tokens` (every user's
//! resources), and per-user tokens issued by `POST /authenticate`, kept in memory with an expiry
//! and revocable (`DELETE /authenticate`). Invariants: a request reaches a protected handler only
//! with a valid [`Principal`] in its extensions (the [`require`] middleware answers 401 otherwise);
//! a user principal can only name its own user id (403 otherwise); operator tokens are compared
//! in constant time. Tokens are process-local: a restart logs users out.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use eider_common::types::UserId;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;

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

#[derive(Debug)]
struct Issued {
    user: UserId,
    expires: i64,
}

/// Issued user tokens.
#[derive(Debug, Default)]
pub struct Tokens {
    issued: Mutex<HashMap<String, Issued>>,
}

impl Tokens {
    /// A new random token for `user`, valid until `expires` (unix seconds).
    pub fn issue(&self, user: UserId, expires: i64) -> String {
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        if let Ok(mut map) = self.issued.lock() {
            let now = now();
            map.retain(|_, t| t.expires > now);
            map.insert(token.clone(), Issued { user, expires });
        }
        token
    }

    pub fn revoke(&self, token: &str) -> bool {
        self.issued
            .lock()
            .map(|mut m| m.remove(token).is_some())
            .unwrap_or(false)
    }

    /// Drops every token of a user (deleted, password changed, disabled).
    pub fn revoke_user(&self, user: UserId) {
        if let Ok(mut m) = self.issued.lock() {
            m.retain(|_, t| t.user != user);
        }
    }

    fn check(&self, token: &str) -> Option<UserId> {
        let map = self.issued.lock().ok()?;
        let t = map.get(token)?;
        (t.expires > now()).then_some(t.user)
    }
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

fn principal(state: &AppState, token: &str) -> Option<Principal> {
    if state
        .ctx
        .config
        .api
        .operator_tokens
        .iter()
        .any(|t| !t.is_empty() && ct_eq(t.as_bytes(), token.as_bytes()))
    {
        return Some(Principal::Operator);
    }
    state.tokens.check(token).map(Principal::User)
}

/// Middleware: 401 unless the request carries a valid token; stores the [`Principal`].
pub async fn require(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let Some(p) = bearer(&parts).and_then(|t| principal(&state, t)) else {
        return axum::response::IntoResponse::into_response(ApiError::Unauthorized);
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
