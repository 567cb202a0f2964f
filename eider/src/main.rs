//! `eider`: the operator command. Parses the command line, loads the configuration, opens the
//! store and hands over to the command's module; maps every failure to a documented exit code
//! (see [`error`]).

mod addresses;
mod cli;
mod db;
mod error;
mod filters;
mod output;
mod serve;
mod users;
mod verify;

use clap::Parser;
use cli::{Cli, Command};
use eider_runtime::daemon;
use error::{CliError, CliResult};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are not errors; everything else is a usage error (1).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&CliError::Store(format!("starting the runtime: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &CliError) -> ExitCode {
    eprintln!("eider: {e}");
    ExitCode::from(e.exit_code())
}

async fn run(cli: Cli) -> CliResult<()> {
    let config = daemon::load_config(cli.config.as_deref())?;
    if let Command::Serve = cli.command {
        daemon::init_tracing();
        return serve::run(config).await;
    }
    if let Command::Db(cmd) = cli.command {
        return db::run(&config, cmd).await;
    }
    let store = eider_runtime::open_store(&config).await?;
    match cli.command {
        Command::Serve | Command::Db(_) => Ok(()),
        Command::User(cmd) => users::run(store.as_ref(), &config, cmd).await,
        Command::Address(cmd) => addresses::run(store.as_ref(), cmd).await,
        Command::Mailbox(cmd) => addresses::mailboxes(store.as_ref(), cmd).await,
        Command::Filter(cmd) => filters::run(store.as_ref(), cmd).await,
        Command::Verify { user, json } => verify::run(store.as_ref(), user.as_deref(), json).await,
    }
}
