//! A user's mailboxes: list (cursor by path), create, read, update (rename, subscription,
//! special use, retention), delete. A mailbox id of another user is 404, never a leak.

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::extract::{JsonBody, Q, cursor_decode, cursor_encode, page_limit};
use crate::state::AppState;
use crate::users::existing;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use eider_model::types::{MailboxId, UserId};
use eider_model::{Mailbox, SpecialUse};
use serde::Deserialize;
use serde_json::{Value, json};

pub fn view(m: &Mailbox) -> Value {
    json!({
        "id": m.id.0.to_string(),
        "path": m.path,
        "special_use": m.special_use.map(|s| s.as_imap()),
        "uid_validity": m.uid_validity.0,
        "uid_next": m.uid_next.0,
        "highest_modseq": m.highest_modseq.0,
        "subscribed": m.subscribed,
        "retention_days": m.retention_days,
        "messages": m.messages,
        "unseen": m.unseen,
        "size": m.size,
    })
}

/// The mailbox named by a path segment, checked to belong to `user`.
pub async fn owned(st: &AppState, user: UserId, segment: &str) -> ApiResult<Mailbox> {
    let missing = || ApiError::NotFound(format!("mailbox {segment}"));
    let id: u64 = segment.parse().map_err(|_| missing())?;
    match st.ctx.store.get_mailbox(MailboxId(id)).await? {
        Some(m) if m.user == user => Ok(m),
        _ => Err(missing()),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

pub async fn list(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    Q(q): Q<PageQuery>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    let limit = page_limit(q.limit)?;
    let after = q
        .cursor
        .as_deref()
        .map(|c| cursor_decode("mailboxes", c))
        .transpose()?;
    existing(&st, id).await?;
    let all = st.ctx.store.list_mailboxes(id).await?;
    let mut page: Vec<&Mailbox> = all
        .iter()
        .filter(|m| after.as_deref().is_none_or(|a| m.path.as_str() > a))
        .take(limit + 1)
        .collect();
    let next = if page.len() > limit {
        page.truncate(limit);
        page.last().map(|m| cursor_encode("mailboxes", &m.path))
    } else {
        None
    };
    let items: Vec<Value> = page.into_iter().map(view).collect();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

fn special(s: Option<&str>) -> ApiResult<Option<SpecialUse>> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => SpecialUse::parse(s)
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest(format!("unknown special use {s:?}"))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMailbox {
    path: String,
    special_use: Option<String>,
}

pub async fn create(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    JsonBody(c): JsonBody<CreateMailbox>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = p.user(&user)?;
    let su = special(c.special_use.as_deref())?;
    if c.path.trim().is_empty() {
        return Err(ApiError::BadRequest("path must not be empty".into()));
    }
    existing(&st, id).await?;
    let m = st.ctx.store.create_mailbox(id, &c.path, su).await?;
    Ok((StatusCode::CREATED, Json(view(&m))))
}

pub async fn get(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    Ok(Json(view(&owned(&st, id, &mailbox).await?)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMailbox {
    path: Option<String>,
    subscribed: Option<bool>,
    /// `""` clears it.
    special_use: Option<String>,
    /// `0` clears it.
    retention_days: Option<u32>,
}

pub async fn update(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
    JsonBody(u): JsonBody<UpdateMailbox>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    let m = owned(&st, id, &mailbox).await?;
    let su = match &u.special_use {
        Some(s) => Some(special(Some(s))?),
        None => None,
    };
    if let Some(path) = &u.path {
        if path.trim().is_empty() {
            return Err(ApiError::BadRequest("path must not be empty".into()));
        }
        if *path != m.path {
            st.ctx.store.rename_mailbox(m.id, path).await?;
        }
    }
    if let Some(s) = u.subscribed {
        st.ctx.store.set_subscribed(m.id, s).await?;
    }
    if let Some(su) = su {
        st.ctx.store.set_special_use(m.id, su).await?;
    }
    if let Some(days) = u.retention_days {
        st.ctx
            .store
            .set_retention(m.id, (days > 0).then_some(days))
            .await?;
    }
    Ok(Json(view(&owned(&st, id, &mailbox).await?)))
}

pub async fn delete(
    p: Principal,
    State(st): State<AppState>,
    Path((user, mailbox)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let id = p.user(&user)?;
    let m = owned(&st, id, &mailbox).await?;
    st.ctx.store.delete_mailbox(m.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
