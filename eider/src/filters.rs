//! `eider filter add|list|delete`: a user's delivery filters (see `docs/delivery.md`).

use crate::cli::FilterCommand;
use crate::error::{CliError, CliResult};
use crate::users::find;
use eider_model::{Filter, FilterAction, FilterQuery, UserUpdate};
use eider_store::MailStore;

pub async fn run(store: &dyn MailStore, cmd: FilterCommand) -> CliResult<()> {
    match cmd {
        FilterCommand::Add {
            user,
            name,
            from,
            to,
            subject,
            header,
            larger,
            smaller,
            has_attachment,
            mailbox,
            seen,
            flag,
            discard,
        } => {
            let header = match header {
                None => None,
                Some(h) => {
                    let (n, v) = h
                        .split_once(':')
                        .ok_or_else(|| CliError::Usage("--header takes NAME:TEXT".into()))?;
                    Some((n.trim().to_owned(), v.trim().to_owned()))
                }
            };
            let query = FilterQuery {
                from,
                to,
                subject,
                header,
                larger,
                smaller,
                has_attachment,
            };
            if query == FilterQuery::default() {
                return Err(CliError::Usage(
                    "a filter needs at least one condition".into(),
                ));
            }
            if mailbox.is_none() && !seen && !flag && !discard {
                return Err(CliError::Usage("a filter needs an action".into()));
            }
            let action = FilterAction {
                mailbox,
                seen,
                flagged: flag,
                discard,
            };
            let user = find(store, &user).await?;
            let mut filters = user.filters.clone();
            filters.push(Filter {
                name,
                disabled: false,
                query,
                action,
            });
            let n = filters.len();
            set(store, user.id, filters).await?;
            println!("added filter {n} for {}", user.username);
        }
        FilterCommand::List { user, json } => {
            let user = find(store, &user).await?;
            if json {
                return crate::output::json(&user.filters);
            }
            for (i, f) in user.filters.iter().enumerate() {
                println!("{}\t{}\t{:?}\t{:?}", i + 1, f.name, f.query, f.action);
            }
        }
        FilterCommand::Delete { user, number } => {
            let user = find(store, &user).await?;
            let mut filters = user.filters.clone();
            if number == 0 || number > filters.len() {
                return Err(CliError::NotFound(format!("filter {number}")));
            }
            filters.remove(number - 1);
            set(store, user.id, filters).await?;
            println!("deleted filter {number} of {}", user.username);
        }
    }
    Ok(())
}

async fn set(
    store: &dyn MailStore,
    user: eider_model::types::UserId,
    filters: Vec<Filter>,
) -> CliResult<()> {
    let update = UserUpdate {
        filters: Some(filters),
        ..Default::default()
    };
    store.update_user(user, update).await?;
    Ok(())
}
