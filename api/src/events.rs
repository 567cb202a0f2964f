//! `GET /users/{user}/updates`: the change journal as Server-Sent Events.
//!
//! Each event's id is the full position vector `mailbox.modseq,...` (base64url) after that
//! event, so a client reconnecting with `Last-Event-ID` resumes exactly where it stopped, across
//! every mailbox. The store's change notifications are only wake-ups; the journal
//! (`changes_since`) is read for the facts. A mailbox created after the stream started is read
//! from modseq 0. A lagging notification receiver triggers a rescan of every mailbox.
//! Invariant: events of one mailbox are sent in modseq order and none is skipped unless the
//! journal was pruned (then the gap is reported as a `resync` event).

use crate::auth::Principal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::users::existing;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use eider_model::types::{MailboxId, ModSeq, UserId};
use eider_model::{Change, JournalEntry};
use futures::Stream;
use serde_json::json;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

type Positions = BTreeMap<MailboxId, ModSeq>;

fn encode(pos: &Positions) -> String {
    let text: Vec<String> = pos
        .iter()
        .map(|(m, s)| format!("{}.{}", m.0, s.0))
        .collect();
    URL_SAFE_NO_PAD.encode(text.join(","))
}

fn decode(id: &str) -> Option<Positions> {
    let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(id.trim()).ok()?).ok()?;
    let mut out = Positions::new();
    for item in raw.split(',').filter(|s| !s.is_empty()) {
        let (m, s) = item.split_once('.')?;
        out.insert(MailboxId(m.parse().ok()?), ModSeq(s.parse().ok()?));
    }
    Some(out)
}

fn event(entry: &JournalEntry, pos: &Positions) -> Event {
    let mailbox = entry.mailbox.0.to_string();
    let (kind, data) = match &entry.change {
        Change::Added { uid, flags } => (
            "message.added",
            json!({"mailbox": mailbox, "uid": uid.0, "flags": crate::messages::flag_names(flags)}),
        ),
        Change::Expunged { uid } => (
            "message.expunged",
            json!({"mailbox": mailbox, "uid": uid.0}),
        ),
        Change::FlagsChanged { uid, flags } => (
            "message.flags",
            json!({"mailbox": mailbox, "uid": uid.0, "flags": crate::messages::flag_names(flags)}),
        ),
        Change::MailboxCreated { path } => {
            ("mailbox.created", json!({"mailbox": mailbox, "path": path}))
        }
        Change::MailboxRenamed { from, to } => (
            "mailbox.renamed",
            json!({"mailbox": mailbox, "from": from, "to": to}),
        ),
        Change::MailboxDeleted { path } => {
            ("mailbox.deleted", json!({"mailbox": mailbox, "path": path}))
        }
    };
    let mut data = data;
    if let Some(o) = data.as_object_mut() {
        o.insert("modseq".into(), json!(entry.modseq.0));
        o.insert("at".into(), json!(entry.at));
    }
    Event::default()
        .event(kind)
        .id(encode(pos))
        .data(data.to_string())
}

/// Sends every journal entry of `user`'s mailboxes past `pos`; false when the client is gone.
async fn catch_up(
    st: &AppState,
    user: UserId,
    pos: &mut Positions,
    tx: &mpsc::Sender<Event>,
) -> bool {
    let Ok(mailboxes) = st.ctx.store.list_mailboxes(user).await else {
        return true;
    };
    for mb in mailboxes {
        let since = pos.get(&mb.id).copied().unwrap_or(ModSeq(0));
        if mb.highest_modseq <= since {
            continue;
        }
        let Ok(entries) = st.ctx.store.changes_since(mb.id, since).await else {
            continue;
        };
        // The journal keeps `journal_days`: a first entry past since+1 means a gap.
        if since.0 > 0 && entries.first().is_some_and(|e| e.modseq.0 > since.0 + 1) {
            let gap = Event::default()
                .event("resync")
                .data(json!({"mailbox": mb.id.0.to_string()}).to_string());
            if tx.send(gap).await.is_err() {
                return false;
            }
        }
        for e in entries {
            pos.insert(mb.id, e.modseq);
            if tx.send(event(&e, pos)).await.is_err() {
                return false;
            }
        }
    }
    true
}

pub async fn updates(
    p: Principal,
    State(st): State<AppState>,
    Path(user): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let user = p.user(&user)?;
    existing(&st, user).await?;
    // Subscribe before reading positions so nothing committed in between is missed.
    let mut wake = st.ctx.store.subscribe();
    let mut junk = st.junk.subscribe();
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty());
    let mut pos = match resume {
        Some(id) => {
            decode(id).ok_or_else(|| ApiError::BadRequest("invalid Last-Event-ID".into()))?
        }
        None => st
            .ctx
            .store
            .list_mailboxes(user)
            .await?
            .iter()
            .map(|m| (m.id, m.highest_modseq))
            .collect(),
    };
    let (tx, mut rx) = mpsc::channel::<Event>(64);
    let shutdown = st.shutdown.clone();
    tokio::spawn(async move {
        // A first event carries the starting position, so a client can resume even if
        // nothing happens before it disconnects.
        let hello = Event::default().event("ready").id(encode(&pos)).data("{}");
        if tx.send(hello).await.is_err() {
            return;
        }
        if !catch_up(&st, user, &mut pos, &tx).await {
            return;
        }
        loop {
            let relevant = tokio::select! {
                () = shutdown.cancelled() => return,
                () = tx.closed() => return,
                r = wake.recv() => match r {
                    Ok(ev) => ev.user == user,
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => return,
                },
                j = junk.recv() => {
                    // Training signals are live only (not in the journal, so not resumable).
                    if let Ok(ev) = j && ev.user_id == user.0.to_string() {
                        let e = Event::default().event(ev.event.clone()).data(json!(ev).to_string());
                        if tx.send(e).await.is_err() {
                            return;
                        }
                    }
                    false
                }
                // Also poll now and then: notifications from other processes may not reach us.
                () = tokio::time::sleep(Duration::from_secs(30)) => true,
            };
            if relevant && !catch_up(&st, user, &mut pos, &tx).await {
                return;
            }
        }
    });
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx).map(|o| o.map(Ok)));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip() {
        let mut p = Positions::new();
        p.insert(MailboxId(3), ModSeq(17));
        p.insert(MailboxId(9), ModSeq(1));
        assert_eq!(decode(&encode(&p)), Some(p));
        assert_eq!(decode(&encode(&Positions::new())), Some(Positions::new()));
        assert_eq!(decode("!!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("1.x")), None);
    }
}
