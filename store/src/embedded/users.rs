//! Users, addresses and domain aliases of the embedded store.
//!
//! Invariants: `usernames` maps the NFC + lower-cased login of every user to its id; every
//! address in `addresses` has a matching `(user, address)` row in `user_addresses`.

use super::mailboxes;
use super::tables::{self, Tables, dec, enc, load};
use super::writer::Ctx;
use crate::error::{StoreError, StoreResult};
use crate::rules::username_key;
use eider_model::types::UserId;
use eider_model::{Address, DEFAULT_MAILBOXES, NewUser, User, UserUpdate};
use redb::{ReadTransaction, ReadableTable};
use unicode_normalization::UnicodeNormalization;

pub fn create_user(t: &mut Tables<'_>, ctx: &mut Ctx, new: &NewUser) -> StoreResult<User> {
    let username: String = new.username.trim().nfc().collect();
    if username.is_empty() {
        return Err(StoreError::Invalid("empty username".into()));
    }
    let key = username_key(&username);
    if t.usernames.get(key.as_str())?.is_some() {
        return Err(StoreError::AlreadyExists(format!("user {username}")));
    }
    let id = t.next_id("user")?;
    let user = User {
        id: UserId(id),
        username,
        password_hash: new.password_hash.clone(),
        quota: new.quota,
        bytes_used: 0,
        disabled: false,
        limits: new.limits.clone(),
        spam_level: new.spam_level,
        created: ctx.now,
        filters: Vec::new(),
    };
    t.users.insert(id, enc(&user)?.as_slice())?;
    t.usernames.insert(key.as_str(), id)?;
    for (path, special_use) in DEFAULT_MAILBOXES {
        mailboxes::create(t, ctx, user.id, path, *special_use)?;
    }
    Ok(user)
}

/// Loads a user inside a write transaction; `NotFound` if absent.
pub fn require(t: &Tables<'_>, id: UserId) -> StoreResult<User> {
    load(&t.users, id.0)?.ok_or_else(|| StoreError::NotFound(format!("user {id}")))
}

pub fn store(t: &mut Tables<'_>, user: &User) -> StoreResult<()> {
    t.users.insert(user.id.0, enc(user)?.as_slice())?;
    Ok(())
}

pub fn update_user(t: &mut Tables<'_>, id: UserId, update: &UserUpdate) -> StoreResult<User> {
    let mut user = require(t, id)?;
    if let Some(h) = &update.password_hash {
        user.password_hash = h.clone();
    }
    if let Some(q) = update.quota {
        user.quota = q;
    }
    if let Some(d) = update.disabled {
        user.disabled = d;
    }
    if let Some(l) = &update.limits {
        user.limits = l.clone();
    }
    if let Some(s) = update.spam_level {
        user.spam_level = s;
    }
    if let Some(f) = &update.filters {
        user.filters = f.clone();
    }
    store(t, &user)?;
    Ok(user)
}

pub fn delete_user(t: &mut Tables<'_>, ctx: &mut Ctx, id: UserId) -> StoreResult<()> {
    let user = require(t, id)?;
    for mailbox in mailboxes::ids_of_user(&t.mailbox_paths, id)? {
        mailboxes::remove(t, ctx, mailbox)?;
    }
    for address in addresses_of(&t.user_addresses, id)? {
        t.addresses.remove(address.as_str())?;
        t.user_addresses.remove((id.0, address.as_str()))?;
    }
    let threads: Vec<String> = t
        .threads
        .range((id.0, "")..(id.0 + 1, ""))?
        .map(|r| r.map(|(k, _)| k.value().1.to_string()))
        .collect::<Result<_, _>>()?;
    for msgid in threads {
        t.threads.remove((id.0, msgid.as_str()))?;
    }
    t.usernames.remove(username_key(&user.username).as_str())?;
    t.users.remove(id.0)?;
    Ok(())
}

fn addresses_of(
    table: &impl ReadableTable<(u64, &'static str), ()>,
    user: UserId,
) -> StoreResult<Vec<String>> {
    Ok(table
        .range((user.0, "")..(user.0 + 1, ""))?
        .map(|r| r.map(|(k, _)| k.value().1.to_string()))
        .collect::<Result<_, _>>()?)
}

pub fn add_address(
    t: &mut Tables<'_>,
    user: UserId,
    address: &str,
    display: &str,
) -> StoreResult<Address> {
    require(t, user)?;
    if address.is_empty() || !address.contains('@') {
        return Err(StoreError::Invalid(format!("address {address:?}")));
    }
    if t.addresses.get(address)?.is_some() {
        return Err(StoreError::AlreadyExists(format!("address {address}")));
    }
    let record = Address {
        address: address.to_string(),
        user,
        display: display.to_string(),
    };
    t.addresses.insert(address, enc(&record)?.as_slice())?;
    t.user_addresses.insert((user.0, address), ())?;
    Ok(record)
}

pub fn delete_address(t: &mut Tables<'_>, address: &str) -> StoreResult<()> {
    let record: Address = load(&t.addresses, address)?
        .ok_or_else(|| StoreError::NotFound(format!("address {address}")))?;
    t.addresses.remove(address)?;
    t.user_addresses.remove((record.user.0, address))?;
    Ok(())
}

pub fn add_domain_alias(t: &mut Tables<'_>, alias: &str, target: &str) -> StoreResult<()> {
    let (alias, target) = (alias.to_lowercase(), target.to_lowercase());
    if alias.is_empty() || target.is_empty() || alias == target {
        return Err(StoreError::Invalid(format!(
            "domain alias {alias} → {target}"
        )));
    }
    if t.domain_aliases.get(alias.as_str())?.is_some() {
        return Err(StoreError::AlreadyExists(format!("domain alias {alias}")));
    }
    t.domain_aliases.insert(alias.as_str(), target.as_str())?;
    Ok(())
}

pub fn delete_domain_alias(t: &mut Tables<'_>, alias: &str) -> StoreResult<()> {
    let alias = alias.to_lowercase();
    if t.domain_aliases.remove(alias.as_str())?.is_none() {
        return Err(StoreError::NotFound(format!("domain alias {alias}")));
    }
    Ok(())
}

// ---- reads ----------------------------------------------------------------------------------

pub fn get_user(txn: &ReadTransaction, id: UserId) -> StoreResult<Option<User>> {
    load(&txn.open_table(tables::USERS)?, id.0)
}

pub fn find_user(txn: &ReadTransaction, username: &str) -> StoreResult<Option<User>> {
    let key = username_key(username.trim());
    let Some(id) = txn.open_table(tables::USERNAMES)?.get(key.as_str())? else {
        return Ok(None);
    };
    get_user(txn, UserId(id.value()))
}

pub fn list_users(
    txn: &ReadTransaction,
    after: Option<UserId>,
    limit: usize,
) -> StoreResult<Vec<User>> {
    let table = txn.open_table(tables::USERS)?;
    let start = after.map(|a| a.0.saturating_add(1)).unwrap_or(0);
    let mut out = Vec::new();
    for row in table.range(start..)?.take(limit) {
        let (_, v) = row?;
        out.push(dec(v.value())?);
    }
    Ok(out)
}

pub fn list_addresses(txn: &ReadTransaction, user: UserId) -> StoreResult<Vec<Address>> {
    let names = addresses_of(&txn.open_table(tables::USER_ADDRESSES)?, user)?;
    let table = txn.open_table(tables::ADDRESSES)?;
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if let Some(a) = load(&table, name.as_str())? {
            out.push(a);
        }
    }
    Ok(out)
}

pub fn lookup_address(txn: &ReadTransaction, address: &str) -> StoreResult<Option<UserId>> {
    let record: Option<Address> = load(&txn.open_table(tables::ADDRESSES)?, address)?;
    Ok(record.map(|a| a.user))
}

pub fn lookup_domain_alias(txn: &ReadTransaction, alias: &str) -> StoreResult<Option<String>> {
    let alias = alias.to_lowercase();
    let table = txn.open_table(tables::DOMAIN_ALIASES)?;
    Ok(table.get(alias.as_str())?.map(|g| g.value().to_string()))
}
