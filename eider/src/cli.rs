//! The command line of `eider` (clap derive). Only the shape of the arguments lives here; each
//! command's behaviour is in its own module.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "eider",
    version,
    about = "Eider mail server: run the daemons and administer users, addresses and mailboxes",
    after_help = "Exit codes: 0 ok, 1 usage or configuration error, 2 not found, 3 already exists, 4 store failure, 5 verify found damage."
)]
pub struct Cli {
    /// Configuration file; without it, the built-in defaults (plus EIDER_* overrides).
    #[arg(short, long, value_name = "FILE", global = true, env = "EIDER_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run every enabled daemon (LMTP, IMAP, POP3, API) in this process until SIGINT/SIGTERM.
    Serve,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage delivery addresses.
    #[command(subcommand)]
    Address(AddressCommand),
    /// Inspect mailboxes.
    #[command(subcommand)]
    Mailbox(MailboxCommand),
    /// Manage a user's delivery filters (applied in order by eider-ingest).
    #[command(subcommand)]
    Filter(FilterCommand),
    /// Rebuild every stored message (or one user's) from its blobs and check it against the
    /// SHA-256 and size recorded at delivery. Exit code 5 if any message is damaged.
    Verify {
        /// Only this user (name or address).
        user: Option<String>,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prepare the store.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Create the store's collections and indexes (MongoDB) or files (embedded) if missing, and
    /// nothing else. Idempotent; the daemons also do it at start-up.
    Init,
    /// Where the embedded store's bytes go: per table the entries, key and value bytes and
    /// redb's pages, and the message body records by component. Reads a snapshot; the store
    /// must not be open in another process (stop the daemons first).
    Stats {
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Where a new password comes from.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct PasswordSource {
    /// The password (visible in the process list: prefer --password-stdin on shared machines).
    #[arg(long, value_name = "PW")]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user with the default mailboxes. A NAME that is an address is also its first
    /// address.
    Add {
        name: String,
        #[command(flatten)]
        password: PasswordSource,
        /// A delivery address for the user (repeatable).
        #[arg(long = "address", value_name = "ADDR")]
        addresses: Vec<String>,
        /// Quota in bytes (0: unlimited); default: limits.default_quota.
        #[arg(long, value_name = "BYTES")]
        quota: Option<u64>,
    },
    /// List users.
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password.
    Passwd {
        name: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Delete a user with all their mailboxes, messages and addresses.
    Delete { name: String },
}

#[derive(Subcommand, Debug)]
pub enum AddressCommand {
    /// Give USER the address ADDR (`*@domain` for a catch-all).
    Add { user: String, address: String },
    /// List a user's addresses.
    List {
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove an address from whoever holds it.
    Delete { address: String },
}

#[derive(Subcommand, Debug)]
pub enum MailboxCommand {
    /// List a user's mailboxes with their counters.
    List {
        user: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum FilterCommand {
    /// Append a filter to USER's list. Every condition given must match.
    Add {
        user: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Substring of From.
        #[arg(long)]
        from: Option<String>,
        /// Substring of To or Cc.
        #[arg(long)]
        to: Option<String>,
        #[arg(long)]
        subject: Option<String>,
        /// `Name:substring` of any header field.
        #[arg(long, value_name = "NAME:TEXT")]
        header: Option<String>,
        /// Size above, in bytes.
        #[arg(long)]
        larger: Option<u64>,
        /// Size below, in bytes.
        #[arg(long)]
        smaller: Option<u64>,
        /// Only messages with (true) or without (false) attachments.
        #[arg(long)]
        has_attachment: Option<bool>,
        /// File into this mailbox.
        #[arg(long)]
        mailbox: Option<String>,
        /// Mark \Seen.
        #[arg(long)]
        seen: bool,
        /// Mark \Flagged.
        #[arg(long)]
        flag: bool,
        /// Drop the message.
        #[arg(long)]
        discard: bool,
    },
    /// List USER's filters with their numbers.
    List {
        user: String,
        #[arg(long)]
        json: bool,
    },
    /// Remove filter number N (as shown by `filter list`).
    Delete { user: String, number: usize },
}
