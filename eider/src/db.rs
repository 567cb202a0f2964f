//! `eider db init`: opens the configured store, which creates whatever is missing (MongoDB
//! collections, indexes and counters; the embedded store's file and tables), then exits.

use crate::cli::DbCommand;
use crate::error::CliResult;
use eider_runtime::config::Config;
use eider_runtime::daemon;

pub async fn run(config: &Config, cmd: DbCommand) -> CliResult<()> {
    match cmd {
        DbCommand::Init => {
            eider_runtime::open_store(config).await?;
            println!("initialised {}", daemon::store_location(config));
            Ok(())
        }
    }
}
