//! TRANSACTION-state commands (RFC 1939 §5, §7) over the session's maildrop entries.
//!
//! Invariants: a DELE-marked message cannot be referred to until RSET (RFC 1939 §5); nothing here
//! touches the store — QUIT only collects the marks into [`Action::Commit`].

use super::command::Command;
use super::reply::Reply;
use super::session::{Action, Message};

/// One message of the maildrop with the session's marks.
#[derive(Debug)]
pub(super) struct Entry {
    pub msg: Message,
    pub deleted: bool,
    pub retrieved: bool,
}

/// Why a TRANSACTION command did not produce an action.
pub(super) enum TxError {
    /// A user error answered with this reply (not a bad command).
    Reply(Reply),
    /// The command is not valid in TRANSACTION (counts as a bad command).
    WrongState,
}

impl From<Reply> for TxError {
    fn from(r: Reply) -> Self {
        TxError::Reply(r)
    }
}

pub(super) fn index(msg: u32) -> Option<usize> {
    usize::try_from(msg).ok()?.checked_sub(1)
}

/// The live (not DELE-marked) entry for message number `msg` (RFC 1939 §5: a deleted message
/// may not be referred to).
fn live(entries: &mut [Entry], msg: u32) -> Result<&mut Entry, Reply> {
    index(msg)
        .and_then(|i| entries.get_mut(i))
        .filter(|e| !e.deleted)
        .ok_or_else(|| Reply::err("no such message"))
}

/// TRANSACTION-state commands (RFC 1939 §5, §7).
pub(super) fn run(entries: &mut [Entry], cmd: Command) -> Result<Action, TxError> {
    let listing = |entries: &[Entry], f: &dyn Fn(usize, &Entry) -> String| -> Vec<String> {
        entries
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.deleted)
            .map(|(i, e)| f(i + 1, e))
            .collect()
    };
    let reply = match cmd {
        Command::Stat => {
            let (n, octets) = entries
                .iter()
                .filter(|e| !e.deleted)
                .fold((0u64, 0u64), |(n, o), e| (n + 1, o + e.msg.size));
            Reply::ok(format!("{n} {octets}"))
        }
        Command::List(Some(msg)) => {
            let size = live(entries, msg)?.msg.size;
            Reply::ok(format!("{msg} {size}"))
        }
        Command::List(None) => {
            let lines = listing(entries, &|n, e| format!("{n} {}", e.msg.size));
            Reply::multi(format!("{} messages", lines.len()), lines)
        }
        Command::Uidl(Some(msg)) => {
            let uidl = live(entries, msg)?.msg.uidl.clone();
            Reply::ok(format!("{msg} {uidl}"))
        }
        Command::Uidl(None) => {
            let lines = listing(entries, &|n, e| format!("{n} {}", e.msg.uidl));
            Reply::multi("unique-id listing follows", lines)
        }
        Command::Retr(msg) | Command::Top(msg, _) => {
            let top = match cmd {
                Command::Top(_, lines) => Some(lines),
                _ => None,
            };
            let e = live(entries, msg)?;
            return Ok(Action::Retrieve {
                msg,
                uid: e.msg.uid,
                size: e.msg.size,
                top,
            });
        }
        Command::Dele(msg) => {
            live(entries, msg)?.deleted = true;
            Reply::ok(format!("message {msg} deleted"))
        }
        Command::Noop => Reply::ok(""),
        Command::Rset => {
            // RFC 1939 §5: RSET unmarks deletions; retrieved messages stay retrieved.
            entries.iter_mut().for_each(|e| e.deleted = false);
            let n = entries.len();
            Reply::ok(format!("maildrop has {n} messages"))
        }
        Command::Quit => return Ok(commit(entries)),
        _ => return Err(TxError::WrongState),
    };
    Ok(Action::Reply(reply))
}

/// QUIT in TRANSACTION: everything the session marked, for the UPDATE state.
fn commit(entries: &[Entry]) -> Action {
    Action::Commit {
        delete: entries
            .iter()
            .filter(|e| e.deleted)
            .map(|e| e.msg.uid)
            .collect(),
        seen: entries
            .iter()
            .filter(|e| e.retrieved)
            .map(|e| e.msg.uid)
            .collect(),
    }
}
