//! Users, their addresses and quota; token issue and revocation; address resolution.
//!
//! Only operators create, list and delete users and assign addresses; a user can read
//! themselves and change their own password.

use crate::auth::{Principal, now};
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Q, cursor_decode, cursor_encode, page_limit};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use eider_model::types::UserId;
use eider_model::{Address, NewUser, User, UserUpdate};
use eider_runtime::auth_limit::AuthLimit;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::SocketAddr;

#[derive(Debug, Serialize)]
pub struct UserView {
    id: String,
    username: String,
    quota: u64,
    used: u64,
    disabled: bool,
    spam_level: u8,
    created: i64,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        Self {
            id: u.id.0.to_string(),
            username: u.username.clone(),
            quota: u.quota,
            used: u.bytes_used,
            disabled: u.disabled,
            spam_level: u.spam_level,
            created: u.created,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

/// `POST /authenticate`. Over a failure limit (`eider_runtime::auth_limit`, keyed by user name
/// and client address) it answers 429 with `Retry-After` without checking the password.
pub async fn authenticate(
    State(st): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    JsonBody(c): JsonBody<Credentials>,
) -> ApiResult<Json<Value>> {
    let ip = peer.map(|Extension(ConnectInfo(addr))| addr.ip());
    let limit = AuthLimit::new(&st.ctx.counters, &st.ctx.config.auth);
    let counted = match limit.begin(&c.username, ip).await {
        Ok(counted) => counted,
        Err(t) => return Err(ApiError::TooManyRequests(t.retry_after.as_secs())),
    };
    let user = match st.ctx.store.find_user(&c.username).await {
        Ok(user) => user,
        Err(e) => {
            counted.release().await;
            return Err(e.into());
        }
    };
    // On the blocking pool, as IMAP and POP3 do, and as slow for unknown and disabled users.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = eider_runtime::credentials::check(c.password, hash).await;
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        // Left counted: a failure.
        let delay = st.ctx.config.auth.failure_delay_ms;
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        return Err(ApiError::Unauthorized);
    };
    let lifetime = i64::try_from(st.ctx.config.api.token_lifetime_secs).unwrap_or(i64::MAX);
    let expires = now().saturating_add(lifetime);
    counted.release().await;
    let token = st.tokens.issue(user.id, expires).await?;
    Ok(Json(json!({
        "token": token,
        "user": user.id.0.to_string(),
        "expires": expires,
    })))
}

/// `DELETE /authenticate`: revokes the token the request carries (operator tokens are static).
pub async fn revoke(
    parts: axum::http::request::Parts,
    State(st): State<AppState>,
) -> ApiResult<StatusCode> {
    if let Some(t) = crate::auth::bearer(&parts) {
        st.tokens.revoke(t).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

pub async fn list_users(
    p: Principal,
    State(st): State<AppState>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    p.require_operator()?;
    let limit = page_limit(q.limit)?;
    let after = match &q.cursor {
        Some(c) => {
            Some(UserId(cursor_decode("users", c)?.parse().map_err(
                |_| ApiError::BadRequest("invalid cursor".into()),
            )?))
        }
        None => None,
    };
    let mut users = st.ctx.store.list_users(after, limit + 1).await?;
    let next = (users.len() > limit).then(|| {
        users.truncate(limit);
        users
            .last()
            .map(|u| cursor_encode("users", &u.id.0.to_string()))
    });
    let items: Vec<UserView> = users.iter().map(UserView::from).collect();
    Ok(Json(json!({"items": items, "next_cursor": next.flatten()})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    username: String,
    password: String,
    quota: Option<u64>,
    spam_level: Option<u8>,
    #[serde(default)]
    addresses: Vec<String>,
}

pub async fn create_user(
    p: Principal,
    State(st): State<AppState>,
    JsonBody(c): JsonBody<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    p.require_operator()?;
    if c.username.trim().is_empty() || c.password.is_empty() {
        return Err(ApiError::BadRequest(
            "username and password must not be empty".into(),
        ));
    }
    let mut normalized = Vec::new();
    for a in &c.addresses {
        normalized.push((normalize(a)?, a.clone()));
    }
    if c.spam_level.is_some_and(|l| l > 100) {
        return Err(ApiError::BadRequest("spam_level is 0..=100".into()));
    }
    let hash = eider_runtime::credentials::hash(c.password.clone())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "hashing a password");
            ApiError::Internal
        })?;
    let user = st
        .ctx
        .store
        .create_user(NewUser {
            username: c.username,
            password_hash: hash,
            quota: c.quota.unwrap_or(st.ctx.config.limits.default_quota),
            limits: Default::default(),
            spam_level: c.spam_level.unwrap_or(50),
        })
        .await?;
    for (n, display) in normalized {
        if let Err(e) = st.ctx.store.add_address(user.id, &n, &display).await {
            // Keep the call atomic from the client's view.
            let _ = st.ctx.store.delete_user(user.id).await;
            return Err(e.into());
        }
    }
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

pub async fn existing(st: &AppState, id: UserId) -> ApiResult<User> {
    st.ctx
        .store
        .get_user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user {id}")))
}

pub async fn get_user(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<Json<UserView>> {
    let id = p.user(&user)?;
    Ok(Json(UserView::from(&existing(&st, id).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    password: Option<String>,
    /// Required with `password` when a user (not an operator) changes their own password.
    current_password: Option<String>,
    quota: Option<u64>,
    disabled: Option<bool>,
    spam_level: Option<u8>,
}

pub async fn update_user(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    JsonBody(u): JsonBody<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let id = p.user(&user)?;
    if u.quota.is_some() || u.disabled.is_some() {
        p.require_operator()?;
    }
    if u.spam_level.is_some_and(|l| l > 100) {
        return Err(ApiError::BadRequest("spam_level is 0..=100".into()));
    }
    let user = existing(&st, id).await?;
    if u.password.is_some() && matches!(p, Principal::User(_)) {
        check_current_password(&st, &user, u.current_password.as_deref()).await?;
    }
    let password_hash = match &u.password {
        Some(pw) if pw.is_empty() => {
            return Err(ApiError::BadRequest("password must not be empty".into()));
        }
        Some(pw) => Some(
            eider_runtime::credentials::hash(pw.clone())
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "hashing a password");
                    ApiError::Internal
                })?,
        ),
        None => None,
    };
    let revoke = password_hash.is_some() || u.disabled == Some(true);
    let updated = st
        .ctx
        .store
        .update_user(
            id,
            UserUpdate {
                password_hash,
                quota: u.quota,
                disabled: u.disabled,
                spam_level: u.spam_level,
                ..Default::default()
            },
        )
        .await?;
    if revoke {
        st.tokens.revoke_user(id).await?;
    }
    Ok(Json(UserView::from(&updated)))
}

/// A user token alone must not change the password (a stolen token would then take the account
/// over for good): the current password is required, and checked like a login, under the same
/// failure limit (`eider_runtime::auth_limit`, keyed by the user name).
async fn check_current_password(
    st: &AppState,
    user: &User,
    current: Option<&str>,
) -> ApiResult<()> {
    let Some(current) = current else {
        return Err(ApiError::Forbidden(
            "current_password is required to change the password".into(),
        ));
    };
    let limit = AuthLimit::new(&st.ctx.counters, &st.ctx.config.auth);
    let counted = match limit.begin(&user.username, None).await {
        Ok(counted) => counted,
        Err(t) => return Err(ApiError::TooManyRequests(t.retry_after.as_secs())),
    };
    let hash = Some(user.password_hash.clone());
    if !eider_runtime::credentials::check(current.to_owned(), hash).await {
        return Err(ApiError::Forbidden("current_password is wrong".into()));
    }
    counted.release().await;
    Ok(())
}

pub async fn delete_user(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let id = p.user(&user)?;
    existing(&st, id).await?;
    st.ctx.store.delete_user(id).await?;
    st.tokens.revoke_user(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn quota(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    existing(&st, id).await?;
    let q = st.ctx.store.quota(id).await?;
    Ok(Json(json!({"limit": q.limit, "used": q.used})))
}

fn normalize(a: &str) -> ApiResult<String> {
    eider_store::address::normalize(a)
        .map_err(|e| ApiError::BadRequest(format!("address {a:?}: {e}")))
}

fn address_view(a: &Address) -> Value {
    json!({"address": a.address, "user": a.user.0.to_string(), "display": a.display})
}

pub async fn list_addresses(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    existing(&st, id).await?;
    let list = st.ctx.store.list_addresses(id).await?;
    let items: Vec<Value> = list.iter().map(address_view).collect();
    Ok(Json(json!({"items": items, "next_cursor": null})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    address: String,
    display: Option<String>,
}

pub async fn add_address(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    JsonBody(a): JsonBody<NewAddress>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    p.require_operator()?;
    let id = p.user(&user)?;
    existing(&st, id).await?;
    let n = normalize(&a.address)?;
    let display = a.display.unwrap_or_else(|| a.address.clone());
    let added = st.ctx.store.add_address(id, &n, &display).await?;
    Ok((StatusCode::CREATED, Json(address_view(&added))))
}

pub async fn get_address(
    p: Principal,
    State(st): State<AppState>,
    Path((user, address)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    let n = normalize(&address)?;
    let list = st.ctx.store.list_addresses(id).await?;
    list.iter()
        .find(|a| a.address == n)
        .map(|a| Json(address_view(a)))
        .ok_or_else(|| ApiError::NotFound(format!("address {address}")))
}

pub async fn delete_address(
    p: Principal,
    State(st): State<AppState>,
    Path((user, address)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    p.require_operator()?;
    let id = p.user(&user)?;
    let n = normalize(&address)?;
    match st.ctx.store.lookup_address(&n).await? {
        Some(owner) if owner == id => {}
        _ => return Err(ApiError::NotFound(format!("address {address}"))),
    }
    st.ctx.store.delete_address(&n).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /addresses/resolve/{address}`: which user a recipient delivers to (plus tags, domain
/// aliases and catch-alls applied exactly as LMTP delivery does).
pub async fn resolve(
    p: Principal,
    State(st): State<AppState>,
    Path(address): Path<String>,
) -> ApiResult<Json<Value>> {
    p.require_operator()?;
    normalize(&address)?;
    match eider_store::address::resolve(&*st.ctx.store, &address).await? {
        Some(u) => Ok(Json(json!({"address": address, "user": u.0.to_string()}))),
        None => Err(ApiError::NotFound(format!("address {address}"))),
    }
}

/// `GET /health`: the store answers (a cheap read) and, when configured, Redis answers PING.
pub async fn health(State(st): State<AppState>) -> (StatusCode, Json<Value>) {
    let store_ok = st.ctx.store.list_users(None, 1).await.is_ok();
    let url = &st.ctx.config.redis.url;
    let (redis, redis_ok) = if url.is_empty() {
        ("not configured", true)
    } else if eider_runtime::redis_url::ping(url).await {
        ("ok", true)
    } else {
        ("failing", false)
    };
    let ok = store_ok && redis_ok;
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"status": if ok {"ok"} else {"failing"}, "store": store_ok, "redis": redis})),
    )
}
