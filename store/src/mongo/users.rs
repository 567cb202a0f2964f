//! Users, addresses and domain aliases of the MongoDB store.
//!
//! Invariants: `users.key` (NFC + lower-cased login, unique index) identifies a user by name;
//! every address document names an existing user (deleting a user deletes its addresses in the
//! same transaction). Ids come from the global `user` / `mailbox` counters, allocated before the
//! transaction (a failed creation leaves a gap).

use super::codec::{enc, n, user_doc, user_of};
use super::error::{DbError, DbResult, is_duplicate_key};
use super::mailboxes;
use super::txn::{Tx, find_all, find_one};
use crate::error::StoreError;
use crate::rules::username_key;
use eider_model::types::{MailboxId, UidValidity, UserId};
use eider_model::{Address, DEFAULT_MAILBOXES, NewUser, User, UserUpdate};
use mongodb::bson::doc;
use unicode_normalization::UnicodeNormalization;

/// Maps a unique-index violation to `AlreadyExists(what)`.
pub fn dup_as(e: mongodb::error::Error, what: String) -> DbError {
    if is_duplicate_key(&e) {
        DbError::Store(StoreError::AlreadyExists(what))
    } else {
        DbError::Db(e)
    }
}

/// What `create_user` needs beyond the request: ids allocated before the transaction.
pub struct NewUserPlan {
    pub new: NewUser,
    pub id: u64,
    pub first_mailbox: u64,
    pub first_uid_validity: u32,
}

pub async fn create(tx: &mut Tx, p: &NewUserPlan) -> DbResult<User> {
    let username: String = p.new.username.trim().nfc().collect();
    if username.is_empty() {
        return Err(StoreError::Invalid("empty username".into()).into());
    }
    let key = username_key(&username);
    if find_one(&mut tx.s, &tx.c.users, doc! {"key": &key})
        .await?
        .is_some()
    {
        return Err(StoreError::AlreadyExists(format!("user {username}")).into());
    }
    let user = User {
        id: UserId(p.id),
        username,
        password_hash: p.new.password_hash.clone(),
        quota: p.new.quota,
        bytes_used: 0,
        disabled: false,
        limits: p.new.limits.clone(),
        spam_level: p.new.spam_level,
        created: tx.now,
        filters: Vec::new(),
    };
    tx.c.users
        .insert_one(user_doc(&user, &key)?)
        .session(&mut tx.s)
        .await
        .map_err(|e| dup_as(e, format!("user {}", user.username)))?;
    for (i, (path, special_use)) in (0u64..).zip(DEFAULT_MAILBOXES) {
        let id = MailboxId(p.first_mailbox + i);
        let uv = UidValidity(p.first_uid_validity + i as u32);
        mailboxes::insert(tx, user.id, path, *special_use, id, uv).await?;
    }
    Ok(user)
}

pub async fn get(tx: &mut Tx, id: UserId) -> DbResult<Option<User>> {
    find_one(&mut tx.s, &tx.c.users, doc! {"_id": n(id.0)})
        .await?
        .map(|d| user_of(&d))
        .transpose()
}

/// Loads a user; `NotFound` if absent.
pub async fn require(tx: &mut Tx, id: UserId) -> DbResult<User> {
    get(tx, id)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("user {id}")).into())
}

pub async fn find(tx: &mut Tx, username: &str) -> DbResult<Option<User>> {
    let key = username_key(username.trim());
    find_one(&mut tx.s, &tx.c.users, doc! {"key": key})
        .await?
        .map(|d| user_of(&d))
        .transpose()
}

pub async fn list(tx: &mut Tx, after: Option<UserId>, limit: usize) -> DbResult<Vec<User>> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let filter = match after {
        Some(a) => doc! {"_id": {"$gt": n(a.0)}},
        None => doc! {},
    };
    let mut cursor =
        tx.c.users
            .find(filter)
            .sort(doc! {"_id": 1})
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .session(&mut tx.s)
            .await?;
    let mut out = Vec::new();
    while let Some(d) = cursor.next(&mut tx.s).await {
        out.push(user_of(&d?)?);
    }
    Ok(out)
}

pub async fn update(tx: &mut Tx, id: UserId, u: &UserUpdate) -> DbResult<User> {
    let mut user = require(tx, id).await?;
    if let Some(h) = &u.password_hash {
        user.password_hash = h.clone();
    }
    if let Some(q) = u.quota {
        user.quota = q;
    }
    if let Some(d) = u.disabled {
        user.disabled = d;
    }
    if let Some(l) = &u.limits {
        user.limits = l.clone();
    }
    if let Some(s) = u.spam_level {
        user.spam_level = s;
    }
    if let Some(f) = &u.filters {
        user.filters = f.clone();
    }
    let set = doc! {
        "password_hash": &user.password_hash,
        "quota": n(user.quota),
        "disabled": user.disabled,
        "limits": enc(&user.limits)?,
        "spam_level": i32::from(user.spam_level),
        "filters": enc(&user.filters)?,
    };
    tx.c.users
        .update_one(doc! {"_id": n(id.0)}, doc! {"$set": set})
        .session(&mut tx.s)
        .await?;
    Ok(user)
}

/// Adds `delta` bytes to a user's usage (the caller checked the quota in this transaction).
pub async fn add_usage(tx: &mut Tx, id: UserId, delta: i64) -> DbResult<()> {
    if delta == 0 {
        return Ok(());
    }
    tx.c.users
        .update_one(doc! {"_id": n(id.0)}, doc! {"$inc": {"bytes_used": delta}})
        .session(&mut tx.s)
        .await?;
    Ok(())
}

pub async fn delete(tx: &mut Tx, id: UserId) -> DbResult<()> {
    require(tx, id).await?;
    for mailbox in mailboxes::ids_of_user(tx, id).await? {
        mailboxes::remove(tx, mailbox).await?;
    }
    let user = n(id.0);
    tx.c.addresses
        .delete_many(doc! {"user": user})
        .session(&mut tx.s)
        .await?;
    tx.c.threads
        .delete_many(doc! {"user": user})
        .session(&mut tx.s)
        .await?;
    tx.c.users
        .delete_one(doc! {"_id": user})
        .session(&mut tx.s)
        .await?;
    Ok(())
}

// ---- addresses and domain aliases -------------------------------------------------------------

pub async fn add_address(
    tx: &mut Tx,
    user: UserId,
    address: &str,
    display: &str,
) -> DbResult<Address> {
    require(tx, user).await?;
    if address.is_empty() || !address.contains('@') {
        return Err(StoreError::Invalid(format!("address {address:?}")).into());
    }
    if find_one(&mut tx.s, &tx.c.addresses, doc! {"_id": address})
        .await?
        .is_some()
    {
        return Err(StoreError::AlreadyExists(format!("address {address}")).into());
    }
    tx.c.addresses
        .insert_one(doc! {"_id": address, "user": n(user.0), "display": display})
        .session(&mut tx.s)
        .await
        .map_err(|e| dup_as(e, format!("address {address}")))?;
    Ok(Address {
        address: address.to_string(),
        user,
        display: display.to_string(),
    })
}

pub async fn list_addresses(tx: &mut Tx, user: UserId) -> DbResult<Vec<Address>> {
    let docs = find_all(
        &mut tx.s,
        &tx.c.addresses,
        doc! {"user": n(user.0)},
        Some(doc! {"_id": 1}),
        None,
    )
    .await?;
    docs.iter()
        .map(|d| {
            Ok(Address {
                address: d.get_str("_id")?.to_string(),
                user,
                display: d.get_str("display")?.to_string(),
            })
        })
        .collect()
}

pub async fn delete_address(tx: &mut Tx, address: &str) -> DbResult<()> {
    let r =
        tx.c.addresses
            .delete_one(doc! {"_id": address})
            .session(&mut tx.s)
            .await?;
    if r.deleted_count == 0 {
        return Err(StoreError::NotFound(format!("address {address}")).into());
    }
    Ok(())
}

pub async fn lookup_address(tx: &mut Tx, address: &str) -> DbResult<Option<UserId>> {
    let Some(d) = find_one(&mut tx.s, &tx.c.addresses, doc! {"_id": address}).await? else {
        return Ok(None);
    };
    Ok(Some(UserId(super::codec::get_u64(&d, "user")?)))
}

pub async fn add_domain_alias(tx: &mut Tx, alias: &str, target: &str) -> DbResult<()> {
    let (alias, target) = (alias.to_lowercase(), target.to_lowercase());
    if alias.is_empty() || target.is_empty() || alias == target {
        return Err(StoreError::Invalid(format!("domain alias {alias} → {target}")).into());
    }
    if find_one(&mut tx.s, &tx.c.domain_aliases, doc! {"_id": &alias})
        .await?
        .is_some()
    {
        return Err(StoreError::AlreadyExists(format!("domain alias {alias}")).into());
    }
    tx.c.domain_aliases
        .insert_one(doc! {"_id": &alias, "target": &target})
        .session(&mut tx.s)
        .await
        .map_err(|e| dup_as(e, format!("domain alias {alias}")))?;
    Ok(())
}

pub async fn delete_domain_alias(tx: &mut Tx, alias: &str) -> DbResult<()> {
    let alias = alias.to_lowercase();
    let r =
        tx.c.domain_aliases
            .delete_one(doc! {"_id": &alias})
            .session(&mut tx.s)
            .await?;
    if r.deleted_count == 0 {
        return Err(StoreError::NotFound(format!("domain alias {alias}")).into());
    }
    Ok(())
}

pub async fn lookup_domain_alias(tx: &mut Tx, alias: &str) -> DbResult<Option<String>> {
    let alias = alias.to_lowercase();
    let Some(d) = find_one(&mut tx.s, &tx.c.domain_aliases, doc! {"_id": alias}).await? else {
        return Ok(None);
    };
    Ok(Some(d.get_str("target")?.to_string()))
}
