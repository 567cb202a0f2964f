//! `eider address ...` and `eider mailbox list`: the small administration commands.

use crate::cli::{AddressCommand, MailboxCommand};
use crate::error::{CliError, CliResult};
use crate::users::{find, normalize_address};
use eider_store::MailStore;
use serde::Serialize;

pub async fn run(store: &dyn MailStore, cmd: AddressCommand) -> CliResult<()> {
    match cmd {
        AddressCommand::Add { user, address } => {
            let normal = normalize_address(&address)?;
            let user = find(store, &user).await?;
            store
                .add_address(user.id, &normal, address.trim())
                .await
                .map_err(|e| match CliError::from(e) {
                    CliError::Exists(_) => CliError::Exists(format!("address {normal}")),
                    other => other,
                })?;
            println!("added address {normal} to {}", user.username);
        }
        AddressCommand::List { user, json } => {
            let user = find(store, &user).await?;
            let list = store.list_addresses(user.id).await?;
            if json {
                let view: Vec<_> = list
                    .iter()
                    .map(|a| serde_json::json!({ "address": a.address, "display": a.display }))
                    .collect();
                return crate::output::json(&view);
            }
            for a in list {
                println!("{}", a.address);
            }
        }
        AddressCommand::Delete { address } => {
            let normal = normalize_address(&address)?;
            store
                .delete_address(&normal)
                .await
                .map_err(|e| match CliError::from(e) {
                    CliError::NotFound(_) => CliError::NotFound(format!("address {normal}")),
                    other => other,
                })?;
            println!("deleted address {normal}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct MailboxView {
    id: u64,
    path: String,
    special_use: Option<&'static str>,
    uid_validity: u32,
    uid_next: u32,
    messages: u32,
    unseen: u32,
    size: u64,
    subscribed: bool,
}

pub async fn mailboxes(store: &dyn MailStore, cmd: MailboxCommand) -> CliResult<()> {
    let MailboxCommand::List { user, json } = cmd;
    let user = find(store, &user).await?;
    let views: Vec<MailboxView> = store
        .list_mailboxes(user.id)
        .await?
        .into_iter()
        .map(|m| MailboxView {
            id: m.id.0,
            path: m.path,
            special_use: m.special_use.map(|s| s.as_imap()),
            uid_validity: m.uid_validity.0,
            uid_next: m.uid_next.0,
            messages: m.messages,
            unseen: m.unseen,
            size: m.size,
            subscribed: m.subscribed,
        })
        .collect();
    if json {
        return crate::output::json(&views);
    }
    let rows = views.iter().map(|m| {
        vec![
            m.path.clone(),
            m.special_use.unwrap_or("").to_owned(),
            m.messages.to_string(),
            m.unseen.to_string(),
            m.size.to_string(),
        ]
    });
    crate::output::table(&["MAILBOX", "USE", "MESSAGES", "UNSEEN", "BYTES"], rows);
    Ok(())
}
