//! `GET /users/{user}/search?q=…`: Gmail-like queries over a user's mail, evaluated by the IMAP
//! SEARCH engine (`eider_imapd::search`) on a read-only view of each mailbox searched.
//!
//! Syntax: whitespace-separated terms, all of which must hold; `"quoted phrases"`; a leading
//! `-` negates a term. Terms: `from:` `to:` `cc:` `subject:` (substring, case-insensitive),
//! `has:attachment`, `in:PATH` (a mailbox path, or a special-use name such as `sent`, `trash`;
//! `in:anywhere` searches every mailbox), `is:unread|read|starred|flagged|answered|draft`,
//! `before:YYYY/MM/DD` / `after:YYYY/MM/DD` (internal date; `after` includes the day),
//! `larger:N[K|M]` / `smaller:N[K|M]`, anything else is free text (headers or body). Without
//! `in:`, Trash and Junk are left out, as Gmail does. Results are newest first.

use crate::auth::{Principal, now};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Q, cursor_decode, cursor_encode, page_limit};
use crate::state::AppState;
use crate::users::existing;
use axum::Json;
use axum::extract::{Path, State};
use eider_imapd::mailbox::SelectedView;
use eider_imapd::mailbox::recent::RecentRegistry;
use eider_imapd::search::{Query, date::ymd};
use eider_model::types::Uid;
use eider_model::{Mailbox, SpecialUse};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// A parsed Gmail-like query.
#[derive(Debug, Default, PartialEq)]
pub struct Parsed {
    pub terms: Vec<Query>,
    pub mailbox: Option<String>,
    /// `Some(true)` for `has:attachment`, `Some(false)` for `-has:attachment`.
    pub has_attachment: Option<bool>,
}

fn tokens(q: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn size(v: &str) -> Option<u64> {
    let v = v.to_ascii_lowercase();
    let (num, mult) = match v.strip_suffix('m').or_else(|| v.strip_suffix("mb")) {
        Some(n) => (n.to_owned(), 1024 * 1024),
        None => match v.strip_suffix('k').or_else(|| v.strip_suffix("kb")) {
            Some(n) => (n.to_owned(), 1024),
            None => (v.clone(), 1),
        },
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

fn date(v: &str) -> Option<eider_imapd::proto::datetime::Date> {
    let mut it = v.split(['/', '-']);
    let y = it.next()?.parse().ok()?;
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    if it.next().is_some() {
        return None;
    }
    ymd(y, m, d)
}

/// Parses a query; 400 on an unknown operator value.
pub fn parse(q: &str) -> ApiResult<Parsed> {
    let bad = |t: &str| ApiError::BadRequest(format!("cannot parse search term {t:?}"));
    let mut p = Parsed::default();
    for raw in tokens(q) {
        let (neg, t) = match raw.strip_prefix('-') {
            Some(rest) if !rest.is_empty() => (true, rest),
            _ => (false, raw.as_str()),
        };
        let (key, value) = match t.split_once(':') {
            Some((k, v)) if !v.is_empty() => (k.to_ascii_lowercase(), v),
            _ => (String::new(), t),
        };
        let lower = value.to_lowercase();
        let term = match key.as_str() {
            "from" => Query::From(lower),
            "to" => Query::To(lower),
            "cc" => Query::Cc(lower),
            "bcc" => Query::Bcc(lower),
            "subject" => Query::Subject(lower),
            "has" if lower == "attachment" => {
                p.has_attachment = Some(!neg);
                continue;
            }
            "in" if !neg => {
                p.mailbox = Some(value.to_owned());
                continue;
            }
            "is" => match lower.as_str() {
                "unread" => Query::Unseen,
                "read" => Query::Seen,
                "starred" | "flagged" => Query::Flagged,
                "answered" | "replied" => Query::Answered,
                "draft" => Query::Draft,
                _ => return Err(bad(&raw)),
            },
            "before" => Query::Before(date(value).ok_or_else(|| bad(&raw))?),
            "after" => Query::Since(date(value).ok_or_else(|| bad(&raw))?),
            "larger" => Query::Larger(size(value).ok_or_else(|| bad(&raw))?),
            "smaller" => Query::Smaller(size(value).ok_or_else(|| bad(&raw))?),
            "" => Query::Text(t.to_lowercase()),
            _ => Query::Text(t.to_lowercase()),
        };
        p.terms.push(if neg {
            Query::Not(Box::new(term))
        } else {
            term
        });
    }
    Ok(p)
}

fn wanted<'a>(all: &'a [Mailbox], name: Option<&str>) -> ApiResult<Vec<&'a Mailbox>> {
    let skip = |m: &Mailbox| matches!(m.special_use, Some(SpecialUse::Trash | SpecialUse::Junk));
    Ok(match name {
        None => all.iter().filter(|m| !skip(m)).collect(),
        Some(n) if n.eq_ignore_ascii_case("anywhere") => all.iter().collect(),
        Some(n) => {
            let by_path = all.iter().find(|m| {
                m.path == n
                    || (m.path.eq_ignore_ascii_case("INBOX") && n.eq_ignore_ascii_case("inbox"))
            });
            let by_use =
                SpecialUse::parse(n).and_then(|su| all.iter().find(|m| m.special_use == Some(su)));
            match by_path.or(by_use) {
                Some(m) => vec![m],
                None => return Err(ApiError::NotFound(format!("mailbox {n}"))),
            }
        }
    })
}

/// Runs the IMAP engine on a blocking-pool thread: its future is not provably `Send` (a
/// higher-ranked closure inside it), so it cannot be awaited inside an axum handler directly.
async fn run_search(
    store: Arc<dyn eider_store::MailStore>,
    view: SelectedView,
    key: Query,
) -> ApiResult<Vec<Uid>> {
    let handle = tokio::runtime::Handle::current();
    let joined = tokio::task::spawn_blocking(move || {
        handle.block_on(async {
            eider_imapd::search::search(&*store, &view, &key, now())
                .await
                .map(|o| o.uids())
        })
    })
    .await;
    match joined {
        Ok(Ok(uids)) => Ok(uids),
        Ok(Err(eider_imapd::search::SearchError::Store(e))) => Err(e.into()),
        Ok(Err(e)) => Err(ApiError::BadRequest(e.to_string())),
        Err(e) => {
            tracing::error!(error = %e, "search task failed");
            Err(ApiError::Internal)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    q: String,
    limit: Option<usize>,
    cursor: Option<String>,
}

pub async fn search(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    Q(sq): Q<SearchQuery>,
) -> ApiResult<Json<Value>> {
    let id = p.user(&user)?;
    let limit = page_limit(sq.limit)?;
    let parsed = parse(&sq.q)?;
    // Cursor: `date.mailbox.uid` of the last result; results sort newest first.
    let after: Option<(i64, u64, u32)> = match &sq.cursor {
        Some(c) => {
            let v = cursor_decode("search", c)?;
            let bad = || ApiError::BadRequest("invalid cursor".into());
            let mut it = v.split('.');
            let mut next = || it.next().ok_or_else(bad);
            let (d, m, u) = (next()?, next()?, next()?);
            Some((
                d.parse().map_err(|_| bad())?,
                m.parse().map_err(|_| bad())?,
                u.parse().map_err(|_| bad())?,
            ))
        }
        None => None,
    };
    existing(&st, id).await?;
    let store = &*st.ctx.store;
    let all = store.list_mailboxes(id).await?;
    let key = if parsed.terms.is_empty() {
        Query::All
    } else {
        Query::And(parsed.terms.clone())
    };
    let registry = Arc::new(RecentRegistry::new());
    let mut hits: Vec<(i64, u64, u32)> = Vec::new();
    for mb in wanted(&all, parsed.mailbox.as_deref())? {
        let summaries = store.list_messages(mb.id, Uid(1)..=Uid(u32::MAX)).await?;
        let uids: Vec<Uid> = summaries.iter().map(|s| s.uid).collect();
        let view = SelectedView::open(mb, uids, true, Arc::clone(&registry), mb.uid_next);
        let outcome = run_search(Arc::clone(&st.ctx.store), view, key.clone()).await?;
        for uid in outcome {
            if let Ok(i) = summaries.binary_search_by_key(&uid, |s| s.uid) {
                hits.push((summaries[i].internal_date, mb.id.0, uid.0));
            }
        }
    }
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let mut items = Vec::new();
    let mut next = None;
    for h in hits.into_iter().filter(|h| after.is_none_or(|a| *h < a)) {
        if items.len() == limit {
            next = Some(cursor_encode("search", &format!("{}.{}.{}", h.0, h.1, h.2)));
            break;
        }
        let Some(m) = store
            .get_message(eider_model::types::MailboxId(h.1), Uid(h.2))
            .await?
        else {
            continue;
        };
        if parsed
            .has_attachment
            .is_some_and(|want| m.meta.has_attachments != want)
        {
            continue;
        }
        items.push((h, crate::messages::item(&m)));
    }
    // The cursor names the last item returned, so the next page starts right after it.
    if next.is_some()
        && let Some((h, _)) = items.last()
    {
        next = Some(cursor_encode("search", &format!("{}.{}.{}", h.0, h.1, h.2)));
    }
    let items: Vec<Value> = items.into_iter().map(|(_, v)| v).collect();
    Ok(Json(json!({"items": items, "next_cursor": next})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_syntax() {
        let p = parse("from:Bob \"lunch plans\" -is:unread in:Sent has:attachment larger:2M before:2024/01/31").unwrap();
        assert_eq!(p.mailbox.as_deref(), Some("Sent"));
        assert_eq!(p.has_attachment, Some(true));
        assert_eq!(
            p.terms,
            vec![
                Query::From("bob".into()),
                Query::Text("lunch plans".into()),
                Query::Not(Box::new(Query::Unseen)),
                Query::Larger(2 * 1024 * 1024),
                Query::Before(ymd(2024, 1, 31).unwrap()),
            ]
        );
        for bad in [
            "is:purple",
            "before:2024/13/01",
            "larger:lots",
            "after:yesterday",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(parse("").unwrap(), Parsed::default());
    }
}
