//! Connection states (RFC 3501 §3) and the one table saying which commands each state allows.
//!
//! Invariant: each variant holds only what is valid in that state: no user before login, no
//! mailbox outside Selected. The table in [`allowed`] is the single place commands are checked
//! against the state.

use crate::proto::command::CommandBody;
use eider_model::types::{MailboxId, UidValidity, UserId};

/// Who is logged in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub id: UserId,
    pub username: String,
}

/// The selected mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectedMailbox {
    pub id: MailboxId,
    /// Store path (UTF-8, `/`-separated).
    pub path: String,
    pub uid_validity: UidValidity,
    /// EXAMINE, or SELECT of a mailbox we may not change.
    pub read_only: bool,
}

/// The connection state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    NotAuthenticated,
    Authenticated(AuthUser),
    Selected(AuthUser, SelectedMailbox),
    Logout,
}

/// State names for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateKind {
    NotAuthenticated,
    Authenticated,
    Selected,
    Logout,
}

impl State {
    pub fn kind(&self) -> StateKind {
        match self {
            State::NotAuthenticated => StateKind::NotAuthenticated,
            State::Authenticated(_) => StateKind::Authenticated,
            State::Selected(..) => StateKind::Selected,
            State::Logout => StateKind::Logout,
        }
    }

    pub fn user(&self) -> Option<&AuthUser> {
        match self {
            State::Authenticated(u) | State::Selected(u, _) => Some(u),
            _ => None,
        }
    }

    pub fn mailbox(&self) -> Option<&SelectedMailbox> {
        match self {
            State::Selected(_, m) => Some(m),
            _ => None,
        }
    }
}

/// Which states a command is valid in: (not authenticated, authenticated, selected).
const TABLE: &[(&str, [bool; 3])] = &[
    // RFC 3501 §6.1: any state.
    ("CAPABILITY", [true, true, true]),
    ("NOOP", [true, true, true]),
    ("LOGOUT", [true, true, true]),
    ("ID", [true, true, true]), // RFC 2971 §3.1
    // RFC 3501 §6.2: not authenticated.
    ("STARTTLS", [true, false, false]),
    ("AUTHENTICATE", [true, false, false]),
    ("LOGIN", [true, false, false]),
    // RFC 5161 §3.1 says authenticated state only; like Dovecot (the reference) we also accept
    // it when a mailbox is selected, as some clients send it after SELECT.
    ("ENABLE", [false, true, true]),
    // RFC 3501 §6.3: authenticated (and so selected).
    ("SELECT", [false, true, true]),
    ("EXAMINE", [false, true, true]),
    ("CREATE", [false, true, true]),
    ("DELETE", [false, true, true]),
    ("RENAME", [false, true, true]),
    ("SUBSCRIBE", [false, true, true]),
    ("UNSUBSCRIBE", [false, true, true]),
    ("LIST", [false, true, true]),
    ("LSUB", [false, true, true]),
    ("XLIST", [false, true, true]),
    ("NAMESPACE", [false, true, true]),
    ("STATUS", [false, true, true]),
    ("APPEND", [false, true, true]),
    ("GETQUOTA", [false, true, true]),
    ("GETQUOTAROOT", [false, true, true]),
    ("SETQUOTA", [false, true, true]),
    ("COMPRESS", [false, true, true]),
    ("IDLE", [false, true, true]),
    // RFC 3501 §6.4: selected.
    ("CHECK", [false, false, true]),
    ("CLOSE", [false, false, true]),
    ("UNSELECT", [false, false, true]),
    ("EXPUNGE", [false, false, true]),
    ("UID EXPUNGE", [false, false, true]),
    ("SEARCH", [false, false, true]),
    ("FETCH", [false, false, true]),
    ("STORE", [false, false, true]),
    ("COPY", [false, false, true]),
    ("MOVE", [false, false, true]),
];

/// Whether the command named `name` (see [`CommandBody::name`]) is valid in `state`.
pub fn allowed_name(state: StateKind, name: &str) -> bool {
    let column = match state {
        StateKind::NotAuthenticated => 0,
        StateKind::Authenticated => 1,
        StateKind::Selected => 2,
        StateKind::Logout => return false,
    };
    TABLE.iter().any(|(n, states)| *n == name && states[column])
}

/// Whether `cmd` is valid in `state`.
pub fn allowed(state: StateKind, cmd: &CommandBody) -> bool {
    allowed_name(state, cmd.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_is_in_the_table() {
        let names = [
            "CAPABILITY",
            "NOOP",
            "LOGOUT",
            "ID",
            "STARTTLS",
            "AUTHENTICATE",
            "LOGIN",
            "ENABLE",
            "SELECT",
            "EXAMINE",
            "CREATE",
            "DELETE",
            "RENAME",
            "SUBSCRIBE",
            "UNSUBSCRIBE",
            "LIST",
            "LSUB",
            "XLIST",
            "NAMESPACE",
            "STATUS",
            "APPEND",
            "GETQUOTA",
            "GETQUOTAROOT",
            "SETQUOTA",
            "COMPRESS",
            "IDLE",
            "CHECK",
            "CLOSE",
            "UNSELECT",
            "EXPUNGE",
            "UID EXPUNGE",
            "SEARCH",
            "FETCH",
            "STORE",
            "COPY",
            "MOVE",
        ];
        for n in names {
            assert!(TABLE.iter().any(|(t, _)| *t == n), "{n} missing");
        }
        assert_eq!(TABLE.len(), names.len());
    }

    #[test]
    fn table_spot_checks() {
        use StateKind::*;
        let cases = [
            (NotAuthenticated, "LOGIN", true),
            (Authenticated, "LOGIN", false),
            (NotAuthenticated, "SELECT", false),
            (Authenticated, "FETCH", false),
            (Selected, "FETCH", true),
            (Selected, "ENABLE", true),
            (NotAuthenticated, "ENABLE", false),
            (Selected, "SELECT", true),
            (Logout, "NOOP", false),
            (Selected, "CAPABILITY", true),
        ];
        for (s, n, want) in cases {
            assert_eq!(allowed_name(s, n), want, "{s:?} {n}");
        }
    }
}
