//! [`CommandKind`]: which command a request is, without its arguments. The per-state table
//! (`crate::session::state::allowed`), the command log and the metrics key on it.

/// Declares [`CommandKind`] from one list, so the enum, [`CommandKind::ALL`] and
/// [`CommandKind::name`] cannot disagree.
macro_rules! command_kinds {
    ($($kind:ident => $name:literal,)+) => {
        /// Every command verb we understand (the `UID` forms of FETCH, STORE, SEARCH, COPY and
        /// MOVE are the same kind as the plain form; UID EXPUNGE is its own command, RFC 4315
        /// §2.1).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum CommandKind {
            $($kind,)+
        }

        impl CommandKind {
            /// Every kind, for tables and tests.
            pub const ALL: &'static [CommandKind] = &[$(CommandKind::$kind,)+];

            /// The verb as the client would write it, for logs and metrics.
            pub fn name(self) -> &'static str {
                match self {
                    $(CommandKind::$kind => $name,)+
                }
            }
        }
    };
}

command_kinds! {
    Capability => "CAPABILITY",
    Noop => "NOOP",
    Logout => "LOGOUT",
    Id => "ID",
    StartTls => "STARTTLS",
    Authenticate => "AUTHENTICATE",
    Login => "LOGIN",
    Enable => "ENABLE",
    Select => "SELECT",
    Examine => "EXAMINE",
    Create => "CREATE",
    Delete => "DELETE",
    Rename => "RENAME",
    Subscribe => "SUBSCRIBE",
    Unsubscribe => "UNSUBSCRIBE",
    List => "LIST",
    Lsub => "LSUB",
    Xlist => "XLIST",
    Namespace => "NAMESPACE",
    Status => "STATUS",
    Append => "APPEND",
    GetQuota => "GETQUOTA",
    GetQuotaRoot => "GETQUOTAROOT",
    SetQuota => "SETQUOTA",
    Compress => "COMPRESS",
    Idle => "IDLE",
    Check => "CHECK",
    Close => "CLOSE",
    Unselect => "UNSELECT",
    Expunge => "EXPUNGE",
    UidExpunge => "UID EXPUNGE",
    Search => "SEARCH",
    Fetch => "FETCH",
    Store => "STORE",
    Copy => "COPY",
    Move => "MOVE",
}
