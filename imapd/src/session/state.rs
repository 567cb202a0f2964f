//! Connection states (RFC 3501 §3) and the one table saying which commands each state allows.
//!
//! Invariant: each variant holds only what is valid in that state: no user before login, no
//! mailbox outside Selected. The typed table in [`allowed`] is the single place commands are checked
//! against the state.

use crate::proto::command::CommandKind;
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

/// Where a command may run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Allowed {
    /// RFC 3501 §6.1: any state (but Logout, where nothing runs).
    Any,
    /// RFC 3501 §6.2: before login only.
    NotAuthenticated,
    /// RFC 3501 §6.3: after login (and so also with a mailbox selected).
    Authenticated,
    /// RFC 3501 §6.4: with a mailbox selected.
    Selected,
}

/// The table: where each command kind may run. A new command will not compile until it has a
/// row here.
fn allowed_in(kind: CommandKind) -> Allowed {
    use CommandKind as K;
    match kind {
        K::Capability | K::Noop | K::Logout => Allowed::Any,
        K::Id => Allowed::Any, // RFC 2971 §3.1
        K::StartTls | K::Authenticate | K::Login => Allowed::NotAuthenticated,
        // RFC 5161 §3.1 says authenticated state only; like Dovecot (the reference) we also
        // accept it when a mailbox is selected, as some clients send it after SELECT.
        K::Enable => Allowed::Authenticated,
        K::Select
        | K::Examine
        | K::Create
        | K::Delete
        | K::Rename
        | K::Subscribe
        | K::Unsubscribe
        | K::List
        | K::Lsub
        | K::Xlist
        | K::Namespace
        | K::Status
        | K::Append
        | K::GetQuota
        | K::GetQuotaRoot
        | K::SetQuota
        | K::Compress
        | K::Idle => Allowed::Authenticated,
        K::Check
        | K::Close
        | K::Unselect
        | K::Expunge
        | K::UidExpunge
        | K::Search
        | K::Fetch
        | K::Store
        | K::Copy
        | K::Move => Allowed::Selected,
    }
}

/// Whether a command of `kind` is valid in `state`: the one place commands are checked against
/// the state (commands, and APPEND whose header comes separately).
pub fn allowed(state: StateKind, kind: CommandKind) -> bool {
    use StateKind as S;
    match (allowed_in(kind), state) {
        (_, S::Logout) => false,
        (Allowed::Any, _) => true,
        (Allowed::NotAuthenticated, s) => s == S::NotAuthenticated,
        (Allowed::Authenticated, s) => s != S::NotAuthenticated,
        (Allowed::Selected, s) => s == S::Selected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommandKind as K;
    use StateKind::*;

    /// (not authenticated, authenticated, selected), as RFC 3501 §6 lists them.
    const EXPECTED: &[(CommandKind, [bool; 3])] = &[
        (K::Capability, [true, true, true]),
        (K::Noop, [true, true, true]),
        (K::Logout, [true, true, true]),
        (K::Id, [true, true, true]),
        (K::StartTls, [true, false, false]),
        (K::Authenticate, [true, false, false]),
        (K::Login, [true, false, false]),
        (K::Enable, [false, true, true]),
        (K::Select, [false, true, true]),
        (K::Examine, [false, true, true]),
        (K::Create, [false, true, true]),
        (K::Delete, [false, true, true]),
        (K::Rename, [false, true, true]),
        (K::Subscribe, [false, true, true]),
        (K::Unsubscribe, [false, true, true]),
        (K::List, [false, true, true]),
        (K::Lsub, [false, true, true]),
        (K::Xlist, [false, true, true]),
        (K::Namespace, [false, true, true]),
        (K::Status, [false, true, true]),
        (K::Append, [false, true, true]),
        (K::GetQuota, [false, true, true]),
        (K::GetQuotaRoot, [false, true, true]),
        (K::SetQuota, [false, true, true]),
        (K::Compress, [false, true, true]),
        (K::Idle, [false, true, true]),
        (K::Check, [false, false, true]),
        (K::Close, [false, false, true]),
        (K::Unselect, [false, false, true]),
        (K::Expunge, [false, false, true]),
        (K::UidExpunge, [false, false, true]),
        (K::Search, [false, false, true]),
        (K::Fetch, [false, false, true]),
        (K::Store, [false, false, true]),
        (K::Copy, [false, false, true]),
        (K::Move, [false, false, true]),
    ];

    #[test]
    fn every_command_in_every_state() {
        assert_eq!(EXPECTED.len(), CommandKind::ALL.len());
        for &kind in CommandKind::ALL {
            let Some((_, want)) = EXPECTED.iter().find(|(k, _)| *k == kind) else {
                panic!("{kind:?} missing from the expected table");
            };
            let got = [NotAuthenticated, Authenticated, Selected].map(|s| allowed(s, kind));
            assert_eq!(&got, want, "{}", kind.name());
            assert!(!allowed(Logout, kind), "{} after LOGOUT", kind.name());
        }
    }

    #[test]
    fn table_spot_checks() {
        let cases = [
            (NotAuthenticated, K::Login, true),
            (Authenticated, K::Login, false),
            (NotAuthenticated, K::Select, false),
            (Authenticated, K::Fetch, false),
            (Selected, K::Fetch, true),
            (Selected, K::Enable, true),
            (NotAuthenticated, K::Enable, false),
            (Selected, K::Select, true),
            (Logout, K::Noop, false),
            (Selected, K::Capability, true),
        ];
        for (s, k, want) in cases {
            assert_eq!(allowed(s, k), want, "{s:?} {k:?}");
        }
    }
}
