//! Conversions between model structs and BSON documents.
//!
//! Fields that queries filter, sort or update on are plain BSON fields (numbers as `Int64`, ids as
//! `Int64`, blob ids as 32-byte binaries); nested structures that are only ever read whole
//! (a message's segments and parsed `MessageMeta`, a journal change, user limits and filters) are stored as one
//! postcard-encoded binary field, the same encoding the embedded backend uses.

use super::error::{DbError, DbResult};
use crate::error::StoreError;
use eider_model::types::{BlobId, MailboxId, ModSeq, ThreadId, Uid, UidValidity, UserId};
use eider_model::{
    Flags, Mailbox, MessageMeta, MessageSummary, Segment, SpecialUse, SystemFlags, User,
};
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, Document, doc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A `u64` as stored (`Int64`); values above `i64::MAX` never occur for ids, sizes or modseqs.
pub fn n(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub fn corrupt(what: impl std::fmt::Display) -> DbError {
    DbError::Store(StoreError::Corrupt(what.to_string()))
}

/// A non-negative integer field, whatever numeric type the server returned it as.
pub fn get_u64(d: &Document, key: &str) -> DbResult<u64> {
    let v = match d.get(key) {
        Some(Bson::Int64(v)) => *v,
        Some(Bson::Int32(v)) => i64::from(*v),
        Some(Bson::Double(v)) if v.fract() == 0.0 => *v as i64,
        other => return Err(corrupt(format!("field {key}: {other:?}"))),
    };
    u64::try_from(v).map_err(|_| corrupt(format!("field {key} is negative: {v}")))
}

pub fn get_u32(d: &Document, key: &str) -> DbResult<u32> {
    u32::try_from(get_u64(d, key)?).map_err(|_| corrupt(format!("field {key} exceeds u32")))
}

pub fn get_i64(d: &Document, key: &str) -> DbResult<i64> {
    match d.get(key) {
        Some(Bson::Int64(v)) => Ok(*v),
        Some(Bson::Int32(v)) => Ok(i64::from(*v)),
        other => Err(corrupt(format!("field {key}: {other:?}"))),
    }
}

pub fn bin(bytes: Vec<u8>) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes,
    })
}

pub fn get_bin<'a>(d: &'a Document, key: &str) -> DbResult<&'a [u8]> {
    match d.get(key) {
        Some(Bson::Binary(b)) => Ok(&b.bytes),
        other => Err(corrupt(format!("field {key}: {other:?}"))),
    }
}

pub fn blob_key(id: BlobId) -> Bson {
    bin(id.0.to_vec())
}

pub fn blob_of(b: &Bson) -> DbResult<BlobId> {
    match b {
        Bson::Binary(b) => <[u8; 32]>::try_from(b.bytes.as_slice())
            .map(BlobId)
            .map_err(|_| corrupt("blob id is not 32 bytes")),
        other => Err(corrupt(format!("blob id: {other:?}"))),
    }
}

pub fn enc<T: Serialize>(v: &T) -> DbResult<Bson> {
    postcard::to_allocvec(v)
        .map(bin)
        .map_err(|e| corrupt(format!("encoding: {e}")))
}

pub fn dec<T: for<'de> Deserialize<'de>>(d: &Document, key: &str) -> DbResult<T> {
    postcard::from_bytes(get_bin(d, key)?).map_err(|e| corrupt(format!("decoding {key}: {e}")))
}

// ---- users ----------------------------------------------------------------------------------

pub fn user_doc(u: &User, key: &str) -> DbResult<Document> {
    Ok(doc! {
        "_id": n(u.id.0),
        "username": &u.username,
        "key": key,
        "password_hash": &u.password_hash,
        "quota": n(u.quota),
        "bytes_used": n(u.bytes_used),
        "disabled": u.disabled,
        "limits": enc(&u.limits)?,
        "spam_level": i32::from(u.spam_level),
        "created": u.created,
        "filters": enc(&u.filters)?,
    })
}

pub fn user_of(d: &Document) -> DbResult<User> {
    Ok(User {
        id: UserId(get_u64(d, "_id")?),
        username: d.get_str("username")?.to_string(),
        password_hash: d.get_str("password_hash")?.to_string(),
        quota: get_u64(d, "quota")?,
        bytes_used: get_u64(d, "bytes_used")?,
        disabled: d.get_bool("disabled")?,
        limits: dec(d, "limits")?,
        spam_level: u8::try_from(get_u64(d, "spam_level")?).unwrap_or(u8::MAX),
        created: get_i64(d, "created")?,
        filters: dec(d, "filters")?,
    })
}

// ---- mailboxes ------------------------------------------------------------------------------

pub fn special_use_bson(s: Option<SpecialUse>) -> Bson {
    s.map_or(Bson::Null, |s| Bson::String(s.as_imap().to_string()))
}

pub fn retention_bson(days: Option<u32>) -> Bson {
    days.map_or(Bson::Null, |d| Bson::Int64(i64::from(d)))
}

/// The mailbox document (without its counters, which live in `mailbox_counters`).
pub fn mailbox_doc(m: &Mailbox) -> Document {
    doc! {
        "_id": n(m.id.0),
        "user": n(m.user.0),
        "path": &m.path,
        "special_use": special_use_bson(m.special_use),
        "uid_validity": i64::from(m.uid_validity.0),
        "subscribed": m.subscribed,
        "retention_days": retention_bson(m.retention_days),
    }
}

/// A mailbox's counter document, created with the mailbox.
pub fn counters_doc(m: &Mailbox) -> Document {
    doc! {
        "_id": n(m.id.0),
        "uid_next": i64::from(m.uid_next.0),
        "modseq": n(m.highest_modseq.0),
        "messages": i64::from(m.messages),
        "unseen": i64::from(m.unseen),
        "size": n(m.size),
    }
}

pub fn mailbox_of(d: &Document, c: &Document) -> DbResult<Mailbox> {
    let special_use = match d.get("special_use") {
        Some(Bson::String(s)) => SpecialUse::parse(s),
        _ => None,
    };
    let retention_days = match d.get("retention_days") {
        Some(Bson::Null) | None => None,
        Some(_) => Some(get_u32(d, "retention_days")?),
    };
    Ok(Mailbox {
        id: MailboxId(get_u64(d, "_id")?),
        user: UserId(get_u64(d, "user")?),
        path: d.get_str("path")?.to_string(),
        special_use,
        uid_validity: UidValidity(get_u32(d, "uid_validity")?),
        uid_next: Uid(get_u32(c, "uid_next")?),
        highest_modseq: ModSeq(get_u64(c, "modseq")?),
        subscribed: d.get_bool("subscribed")?,
        retention_days,
        messages: get_u32(c, "messages")?,
        unseen: get_u32(c, "unseen")?,
        size: get_u64(c, "size")?,
    })
}

// ---- messages -------------------------------------------------------------------------------

/// The part of a message read only whole: stored postcard-encoded in the `body` field.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageBody {
    pub segments: Vec<Segment>,
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

impl MessageBody {
    /// The distinct blobs the message holds one reference on each (as `NewMessage::blobs`).
    pub fn blobs(&self) -> BTreeSet<BlobId> {
        eider_model::referenced_blobs(&self.segments, &self.meta)
    }
}

pub fn flags_doc(f: &Flags) -> Document {
    let keywords: Vec<&str> = f.keywords.iter().map(String::as_str).collect();
    doc! { "sys": i32::from(f.system.0), "kw": keywords }
}

pub fn flags_of(d: &Document) -> DbResult<Flags> {
    let f = d.get_document("flags")?;
    let keywords = f
        .get_array("kw")?
        .iter()
        .map(|k| match k {
            Bson::String(s) => Ok(s.clone()),
            other => Err(corrupt(format!("keyword {other:?}"))),
        })
        .collect::<DbResult<_>>()?;
    Ok(Flags {
        system: SystemFlags(u8::try_from(get_u64(f, "sys")?).unwrap_or(0)),
        keywords,
    })
}

/// The message document: summary fields, the blob list (for reference release) and the body.
pub fn message_doc(
    mailbox: MailboxId,
    s: &MessageSummary,
    body: &MessageBody,
) -> DbResult<Document> {
    let blobs: Vec<Bson> = body.blobs().into_iter().map(blob_key).collect();
    Ok(doc! {
        "mailbox": n(mailbox.0),
        "uid": i64::from(s.uid.0),
        "modseq": n(s.modseq.0),
        "flags": flags_doc(&s.flags),
        "idate": s.internal_date,
        "tz": i32::from(s.internal_tz_minutes),
        "size": n(s.size),
        "thread": n(s.thread.0),
        "blobs": blobs,
        "body": enc(body)?,
    })
}

pub fn summary_of(d: &Document) -> DbResult<MessageSummary> {
    Ok(MessageSummary {
        uid: Uid(get_u32(d, "uid")?),
        modseq: ModSeq(get_u64(d, "modseq")?),
        flags: flags_of(d)?,
        internal_date: get_i64(d, "idate")?,
        internal_tz_minutes: i16::try_from(get_i64(d, "tz")?).unwrap_or(0),
        size: get_u64(d, "size")?,
        thread: ThreadId(get_u64(d, "thread")?),
    })
}

pub fn blobs_of(d: &Document) -> DbResult<Vec<BlobId>> {
    d.get_array("blobs")?.iter().map(blob_of).collect()
}
