//! `eider user ...`: create, list, re-password and delete users.
//!
//! `user add` is all-or-nothing from the operator's view: addresses are validated and checked
//! for collisions before the user is created, and if adding one still fails the new user is
//! deleted again.

use crate::cli::{PasswordSource, UserCommand};
use crate::error::{CliError, CliResult};
use eider_model::{NewUser, User, UserLimits, UserUpdate};
use eider_runtime::config::Config;
use eider_runtime::password;
use eider_store::MailStore;
use eider_store::address;
use serde::Serialize;
use std::io::BufRead;
use unicode_normalization::UnicodeNormalization;

/// Users fetched per `list_users` call.
const PAGE: usize = 500;

/// Spam level of new users: the middle of the 0..=100 scale (WildDuck's default as well).
const DEFAULT_SPAM_LEVEL: u8 = 50;

pub async fn run(store: &dyn MailStore, config: &Config, cmd: UserCommand) -> CliResult<()> {
    match cmd {
        UserCommand::Add {
            name,
            password,
            addresses,
            quota,
        } => {
            let quota = quota.unwrap_or(config.limits.default_quota);
            add(store, &name, &password, &addresses, quota).await
        }
        UserCommand::List { json } => list(store, json).await,
        UserCommand::Passwd { name, password } => passwd(store, &name, &password).await,
        UserCommand::Delete { name } => {
            let user = find(store, &name).await?;
            store.delete_user(user.id).await?;
            eider_api::auth::revoke_user_tokens(store, user.id).await?;
            println!("deleted user {}", user.username);
            Ok(())
        }
    }
}

/// Finds a user by login name, or by one of their addresses.
pub async fn find(store: &dyn MailStore, name: &str) -> CliResult<User> {
    if let Some(user) = store.find_user(name).await? {
        return Ok(user);
    }
    if let Ok(addr) = address::normalize(name)
        && let Some(id) = store.lookup_address(&addr).await?
        && let Some(user) = store.get_user(id).await?
    {
        return Ok(user);
    }
    Err(CliError::NotFound(format!("user {name}")))
}

async fn add(
    store: &dyn MailStore,
    name: &str,
    source: &PasswordSource,
    extra: &[String],
    quota: u64,
) -> CliResult<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(CliError::Usage(format!("invalid user name {name:?}")));
    }
    // A name that is an address is stored in the address normal form and is its first address.
    let is_address = name.contains('@');
    let username = if is_address {
        normalize_address(name)?
    } else {
        name.nfc().collect()
    };
    let mut addresses = Vec::new();
    for (raw, normal) in std::iter::once(name)
        .filter(|_| is_address)
        .chain(extra.iter().map(String::as_str))
        .map(|raw| normalize_address(raw).map(|n| (raw, n)))
        .collect::<CliResult<Vec<_>>>()?
    {
        if !addresses.iter().any(|(_, n)| *n == normal) {
            addresses.push((raw, normal));
        }
    }
    if store.find_user(&username).await?.is_some() {
        return Err(CliError::Exists(format!("user {username}")));
    }
    for (_, normal) in &addresses {
        if store.lookup_address(normal).await?.is_some() {
            return Err(CliError::Exists(format!("address {normal}")));
        }
    }
    let password_hash = hash(&read_password(source)?)?;
    let user = store
        .create_user(NewUser {
            username: username.clone(),
            password_hash,
            quota,
            limits: UserLimits::default(),
            spam_level: DEFAULT_SPAM_LEVEL,
        })
        .await
        .map_err(|e| match CliError::from(e) {
            CliError::Exists(_) => CliError::Exists(format!("user {username}")),
            other => other,
        })?;
    for (raw, normal) in &addresses {
        if let Err(e) = store.add_address(user.id, normal, raw.trim()).await {
            // Undo: the operator asked for a user with these addresses or nothing.
            let _ = store.delete_user(user.id).await;
            return Err(match CliError::from(e) {
                CliError::Exists(_) => CliError::Exists(format!("address {normal}")),
                other => other,
            });
        }
    }
    println!("created user {} (id {})", user.username, user.id);
    Ok(())
}

async fn passwd(store: &dyn MailStore, name: &str, source: &PasswordSource) -> CliResult<()> {
    let user = find(store, name).await?;
    let password_hash = hash(&read_password(source)?)?;
    let update = UserUpdate {
        password_hash: Some(password_hash),
        ..UserUpdate::default()
    };
    store.update_user(user.id, update).await?;
    // Every API token the old password opened ends with it (docs/api.md).
    eider_api::auth::revoke_user_tokens(store, user.id).await?;
    println!("password changed for {}", user.username);
    Ok(())
}

#[derive(Serialize)]
struct UserView {
    id: u64,
    username: String,
    quota: u64,
    bytes_used: u64,
    disabled: bool,
    addresses: Vec<String>,
}

async fn list(store: &dyn MailStore, json: bool) -> CliResult<()> {
    let mut views = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_users(after, PAGE).await?;
        for user in &page {
            let addresses = store.list_addresses(user.id).await?;
            views.push(UserView {
                id: user.id.0,
                username: user.username.clone(),
                quota: user.quota,
                bytes_used: user.bytes_used,
                disabled: user.disabled,
                addresses: addresses.into_iter().map(|a| a.address).collect(),
            });
        }
        match page.last() {
            Some(last) if page.len() == PAGE => after = Some(last.id),
            _ => break,
        }
    }
    if json {
        return crate::output::json(&views);
    }
    let rows = views.iter().map(|v| {
        vec![
            v.id.to_string(),
            v.username.clone(),
            v.quota.to_string(),
            v.bytes_used.to_string(),
            if v.disabled { "disabled" } else { "active" }.to_owned(),
            v.addresses.join(","),
        ]
    });
    crate::output::table(&["ID", "USER", "QUOTA", "USED", "STATE", "ADDRESSES"], rows);
    Ok(())
}

pub fn normalize_address(raw: &str) -> CliResult<String> {
    address::normalize(raw).map_err(|e| CliError::Usage(e.to_string()))
}

fn hash(password: &str) -> CliResult<String> {
    password::hash(password).map_err(|e| CliError::Store(e.to_string()))
}

fn read_password(source: &PasswordSource) -> CliResult<String> {
    let password = match &source.password {
        Some(pw) => pw.clone(),
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::Usage(format!("reading the password: {e}")))?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if password.is_empty() {
        return Err(CliError::Usage("empty password".into()));
    }
    Ok(password)
}
