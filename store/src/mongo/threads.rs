//! Thread assignment of the MongoDB store: per user, Message-ID → thread (collection `threads`,
//! unique index `(user, msgid)`), with the embedded backend's rule: a message joins the thread
//! recorded for its own Message-ID or for any id in In-Reply-To / References, else starts a new
//! one; every id it carries is then recorded (ids already mapped keep their thread).
//!
//! New thread ids are random 63-bit numbers (the type allows any opaque value): a global counter
//! would put one hot document into every delivery transaction.

use super::codec::{get_u64, n};
use super::error::{DbResult, dup_is_conflict};
use super::txn::{Tx, find_all};
use eider_model::MessageMeta;
use eider_model::types::{ThreadId, UserId};
use mongodb::bson::doc;
use rand::Rng;
use std::collections::{BTreeMap, BTreeSet};

/// Ids longer than this are not indexed (garbage, or an attack on the key space).
const MAX_ID_LEN: usize = 512;

pub async fn assign(tx: &mut Tx, user: UserId, meta: &MessageMeta) -> DbResult<ThreadId> {
    let mut seen = BTreeSet::new();
    let ids: Vec<&str> = meta
        .message_id
        .iter()
        .chain(meta.in_reply_to.iter())
        .chain(meta.references.iter().rev())
        .map(String::as_str)
        .filter(|s| !s.is_empty() && s.len() <= MAX_ID_LEN)
        .filter(|s| seen.insert(*s))
        .collect();
    if ids.is_empty() {
        return Ok(ThreadId(random_id()));
    }
    let filter = doc! {"user": n(user.0), "msgid": {"$in": &ids}};
    let mut known = BTreeMap::new();
    for d in find_all(&mut tx.s, &tx.c.threads, filter, None, None).await? {
        known.insert(d.get_str("msgid")?.to_string(), get_u64(&d, "thread")?);
    }
    let thread = ids
        .iter()
        .find_map(|id| known.get(*id).copied())
        .unwrap_or_else(random_id);
    let missing: Vec<_> = ids
        .iter()
        .filter(|id| !known.contains_key(**id))
        .map(|id| doc! {"user": n(user.0), "msgid": *id, "thread": n(thread)})
        .collect();
    if !missing.is_empty() {
        tx.c.threads
            .insert_many(missing)
            .session(&mut tx.s)
            .await
            .map_err(dup_is_conflict)?;
    }
    Ok(ThreadId(thread))
}

/// A random id in 1..=i64::MAX (stored as a positive `Int64`).
pub fn random_id() -> u64 {
    rand::thread_rng().gen_range(1..=i64::MAX as u64)
}
