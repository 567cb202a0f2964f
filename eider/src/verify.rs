//! `eider verify`: rebuilds stored messages from their blobs and checks each against the SHA-256
//! and size recorded at delivery (see `eider_store::verify`). Streams every message; prints one
//! line per damaged message and a summary.

use crate::error::{CliError, CliResult};
use crate::users::find;
use eider_model::User;
use eider_model::types::Uid;
use eider_store::MailStore;
use eider_store::verify::{Verdict, verify_message};

/// Messages fetched from the store per batch.
const BATCH: u32 = 200;

#[derive(Debug, Default, serde::Serialize)]
struct Summary {
    users: u64,
    mailboxes: u64,
    messages: u64,
    bytes: u64,
    damaged: u64,
}

pub async fn run(store: &dyn MailStore, user: Option<&str>, json: bool) -> CliResult<()> {
    let users = match user {
        Some(name) => vec![find(store, name).await?],
        None => all_users(store).await?,
    };
    let mut sum = Summary::default();
    for u in &users {
        verify_user(store, u, &mut sum).await?;
    }
    if json {
        crate::output::json(&sum)?;
    } else {
        println!(
            "verified {} messages ({} bytes) in {} mailboxes of {} users: {} damaged",
            sum.messages, sum.bytes, sum.mailboxes, sum.users, sum.damaged
        );
    }
    if sum.damaged > 0 {
        return Err(CliError::Damaged(format!(
            "{} damaged messages",
            sum.damaged
        )));
    }
    Ok(())
}

async fn all_users(store: &dyn MailStore) -> CliResult<Vec<User>> {
    let mut out = Vec::new();
    loop {
        let page = store
            .list_users(out.last().map(|u: &User| u.id), 500)
            .await?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

async fn verify_user(store: &dyn MailStore, user: &User, sum: &mut Summary) -> CliResult<()> {
    sum.users += 1;
    for mb in store.list_mailboxes(user.id).await? {
        sum.mailboxes += 1;
        let mut next = 1u32;
        while next < mb.uid_next.0 {
            let last = next.saturating_add(BATCH - 1);
            for m in store.get_messages(mb.id, Uid(next)..=Uid(last)).await? {
                sum.messages += 1;
                sum.bytes += m.summary.size;
                let verdict = verify_message(store, &m).await?;
                if verdict != Verdict::Intact {
                    sum.damaged += 1;
                    println!(
                        "damaged: user {} mailbox {} uid {}: {verdict:?}",
                        user.username, mb.path, m.summary.uid
                    );
                }
            }
            next = last.saturating_add(1);
        }
    }
    Ok(())
}
