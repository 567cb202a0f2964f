//! Thread assignment: per user, a map Message-ID → thread.
//!
//! A new message joins the thread already recorded for its own Message-ID (a reply arrived
//! first and named it) or for any id in its In-Reply-To / References; otherwise it starts a new
//! thread. Its own id and every id it names are then recorded for that thread, so later messages
//! find it from either side. Ids already mapped keep their thread (threads are never merged).

use super::tables::Tables;
use crate::error::StoreResult;
use eider_model::MessageMeta;
use eider_model::types::{ThreadId, UserId};
use redb::ReadableTable;

/// Ids longer than this are not indexed (they are garbage or an attack on the key space).
const MAX_ID_LEN: usize = 512;

pub fn assign(t: &mut Tables<'_>, user: UserId, meta: &MessageMeta) -> StoreResult<ThreadId> {
    let ids: Vec<&str> = meta
        .message_id
        .iter()
        .chain(meta.in_reply_to.iter())
        .chain(meta.references.iter().rev())
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty() && s.len() <= MAX_ID_LEN)
        .collect();
    let mut found = None;
    for id in &ids {
        if let Some(g) = t.threads.get((user.0, *id))? {
            found = Some(g.value());
            break;
        }
    }
    let thread = match found {
        Some(th) => th,
        None => t.next_id("thread")?,
    };
    for id in ids {
        if t.threads.get((user.0, id))?.is_none() {
            t.threads.insert((user.0, id), thread)?;
        }
    }
    Ok(ThreadId(thread))
}
