//! Typed IMAP commands and the dispatcher that parses one complete command buffer.
//!
//! One file per command (or family of commands sharing arguments, e.g. `mailbox`), named after
//! it, holding its types and parser; its parser tests are in `tests/<same name>.rs`. The dispatcher reads
//! `tag SP verb` and hands the cursor to the family; every family parser consumes the whole rest
//! of the command (tolerating trailing spaces), so a returned `Command` has no leftover bytes.

pub mod append;
pub mod copy;
pub mod enable;
pub mod fetch;
pub mod id;
pub mod kind;
pub mod list;
pub mod login;
pub mod mailboxes;
pub mod r#move;
pub mod quota;
pub mod search;
pub mod select;
pub mod status;
pub mod store;

use super::cursor::{Cursor, is_tag_char};
use super::error::{ErrorKind, PResult, ReceiveError, SyntaxError};
use super::mailbox::RawMailbox;
use super::seqset::SequenceSet;

pub use append::AppendHeader;
pub use copy::CopyMove;
pub use fetch::{Fetch, FetchAttr, Section, SectionPart};
pub use id::IdParams;
pub use kind::CommandKind;
pub use list::{List, ListReturn, ListSelect};
pub use login::{Authenticate, Login};
pub use mailboxes::{Create, Rename};
pub use quota::SetQuota;
pub use search::{Search, SearchKey, SearchReturn};
pub use select::Select;
pub use status::{Status, StatusItem};
pub use store::{Store, StoreMode};

/// A parsed command with its tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    pub tag: String,
    pub body: CommandBody,
}

/// Every command we understand (APPEND arrives as `Progress::Append`, since its message is
/// streamed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandBody {
    // Any state (RFC 3501 §6.1)
    Capability,
    Noop,
    Logout,
    Id(IdParams),
    // Not authenticated (RFC 3501 §6.2)
    StartTls,
    Authenticate(Authenticate),
    Login(Login),
    // Authenticated (RFC 3501 §6.3)
    Enable(Vec<String>),
    Select(Select),
    Examine(Select),
    Create(Create),
    Delete(RawMailbox),
    Rename(Rename),
    Subscribe(RawMailbox),
    Unsubscribe(RawMailbox),
    List(List),
    Lsub {
        reference: Vec<u8>,
        pattern: Vec<u8>,
    },
    /// Gmail's pre-RFC 6154 XLIST: LIST with special-use attributes.
    Xlist {
        reference: Vec<u8>,
        pattern: Vec<u8>,
    },
    Namespace,
    Status(Status),
    GetQuota(Vec<u8>),
    GetQuotaRoot(RawMailbox),
    SetQuota(SetQuota),
    /// COMPRESS (RFC 4978); the mechanism as sent, upper-cased.
    Compress(String),
    Idle,
    // Selected (RFC 3501 §6.4)
    Check,
    Close,
    Unselect,
    Expunge,
    /// UID EXPUNGE (RFC 4315 §2.1).
    UidExpunge(SequenceSet),
    Search(Search),
    Fetch(Fetch),
    Store(Store),
    Copy(CopyMove),
    Move(CopyMove),
}

impl CommandBody {
    /// Which command this is.
    pub fn kind(&self) -> CommandKind {
        use CommandBody as B;
        use CommandKind as K;
        match self {
            B::Capability => K::Capability,
            B::Noop => K::Noop,
            B::Logout => K::Logout,
            B::Id(_) => K::Id,
            B::StartTls => K::StartTls,
            B::Authenticate(_) => K::Authenticate,
            B::Login(_) => K::Login,
            B::Enable(_) => K::Enable,
            B::Select(_) => K::Select,
            B::Examine(_) => K::Examine,
            B::Create(_) => K::Create,
            B::Delete(_) => K::Delete,
            B::Rename(_) => K::Rename,
            B::Subscribe(_) => K::Subscribe,
            B::Unsubscribe(_) => K::Unsubscribe,
            B::List(_) => K::List,
            B::Lsub { .. } => K::Lsub,
            B::Xlist { .. } => K::Xlist,
            B::Namespace => K::Namespace,
            B::Status(_) => K::Status,
            B::GetQuota(_) => K::GetQuota,
            B::GetQuotaRoot(_) => K::GetQuotaRoot,
            B::SetQuota(_) => K::SetQuota,
            B::Compress(_) => K::Compress,
            B::Idle => K::Idle,
            B::Check => K::Check,
            B::Close => K::Close,
            B::Unselect => K::Unselect,
            B::Expunge => K::Expunge,
            B::UidExpunge(_) => K::UidExpunge,
            B::Search(_) => K::Search,
            B::Fetch(_) => K::Fetch,
            B::Store(_) => K::Store,
            B::Copy(_) => K::Copy,
            B::Move(_) => K::Move,
        }
    }

    /// The verb as the client would write it, for logs.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// Reads `tag SP`.
pub(crate) fn tag(c: &mut Cursor<'_>) -> PResult<String> {
    let t = c.take_while(|b| is_tag_char(b) && b < 0x80);
    if t.is_empty() {
        return Err(SyntaxError("missing tag"));
    }
    let t = String::from_utf8_lossy(t).into_owned();
    c.sp()?;
    Ok(t)
}

/// Parses one complete command buffer (see [`super::cursor`] for its form).
pub fn parse(buf: &[u8]) -> Result<Command, ReceiveError> {
    let mut c = Cursor::new(buf);
    let tag = tag(&mut c).map_err(|e| ReceiveError {
        tag: None,
        kind: e.into(),
    })?;
    let fail = |kind: ErrorKind| ReceiveError {
        tag: Some(tag.clone()),
        kind,
    };
    let verb = c.atom_upper().map_err(|e| fail(e.into()))?;
    let body = match body(&verb, &mut c) {
        Ok(Some(b)) => b,
        Ok(None) => return Err(fail(ErrorKind::UnknownCommand)),
        Err(e) => return Err(fail(e.into())),
    };
    c.end().map_err(|e| fail(e.into()))?;
    Ok(Command { tag, body })
}

/// `Ok(None)` for an unknown verb.
fn body(verb: &str, c: &mut Cursor<'_>) -> PResult<Option<CommandBody>> {
    use CommandBody as B;
    Ok(Some(match verb {
        "CAPABILITY" => B::Capability,
        "NOOP" => B::Noop,
        "LOGOUT" => B::Logout,
        "STARTTLS" => B::StartTls,
        "CHECK" => B::Check,
        "CLOSE" => B::Close,
        "UNSELECT" => B::Unselect,
        "EXPUNGE" => B::Expunge,
        "IDLE" => B::Idle,
        "NAMESPACE" => B::Namespace,
        "ID" => B::Id(id::parse_id(c)?),
        "AUTHENTICATE" => B::Authenticate(login::parse_authenticate(c)?),
        "LOGIN" => B::Login(login::parse_login(c)?),
        "ENABLE" => B::Enable(enable::parse_enable(c)?),
        "COMPRESS" => {
            c.sp()?;
            B::Compress(c.atom_upper()?)
        }
        "SELECT" => B::Select(select::parse_select(c)?),
        "EXAMINE" => B::Examine(select::parse_select(c)?),
        "CREATE" => B::Create(mailboxes::parse_create(c)?),
        "DELETE" => B::Delete(parse_one(c)?),
        "RENAME" => B::Rename(mailboxes::parse_rename(c)?),
        "SUBSCRIBE" => B::Subscribe(parse_one(c)?),
        "UNSUBSCRIBE" => B::Unsubscribe(parse_one(c)?),
        "STATUS" => B::Status(status::parse_status(c)?),
        "LIST" => B::List(list::parse_list(c)?),
        "LSUB" => {
            let (reference, pattern) = list::parse_simple(c)?;
            B::Lsub { reference, pattern }
        }
        "XLIST" => {
            let (reference, pattern) = list::parse_simple(c)?;
            B::Xlist { reference, pattern }
        }
        "GETQUOTA" => {
            c.sp()?;
            B::GetQuota(c.astring()?)
        }
        "GETQUOTAROOT" => B::GetQuotaRoot(parse_one(c)?),
        "SETQUOTA" => B::SetQuota(quota::parse_setquota(c)?),
        // The receiver turns a well-formed APPEND into `Progress::Append` at its literal.
        "APPEND" => return Err(SyntaxError("APPEND needs a message literal")),
        "SEARCH" => B::Search(search::parse_search(c, false)?),
        "FETCH" => B::Fetch(fetch::parse_fetch(c, false)?),
        "STORE" => B::Store(store::parse_store(c, false)?),
        "COPY" => B::Copy(copy::parse_copy(c, false)?),
        "MOVE" => B::Move(r#move::parse_move(c, false)?),
        "UID" => {
            c.sp()?;
            match c.atom_upper()?.as_str() {
                "SEARCH" => B::Search(search::parse_search(c, true)?),
                "FETCH" => B::Fetch(fetch::parse_fetch(c, true)?),
                "STORE" => B::Store(store::parse_store(c, true)?),
                "COPY" => B::Copy(copy::parse_copy(c, true)?),
                "MOVE" => B::Move(r#move::parse_move(c, true)?),
                "EXPUNGE" => {
                    c.sp()?;
                    B::UidExpunge(SequenceSet::parse(c)?)
                }
                _ => return Err(SyntaxError("unknown UID command")),
            }
        }
        _ => return Ok(None),
    }))
}

/// `SP mailbox`: the argument of DELETE, SUBSCRIBE, GETQUOTAROOT, and the start of others.
pub(super) fn parse_one(c: &mut Cursor<'_>) -> PResult<RawMailbox> {
    c.sp()?;
    raw_mailbox(c)
}

/// `mailbox` (astring; `INBOX` matching is done when decoding).
pub(crate) fn raw_mailbox(c: &mut Cursor<'_>) -> PResult<RawMailbox> {
    Ok(RawMailbox(c.astring()?))
}

#[cfg(test)]
mod tests;
