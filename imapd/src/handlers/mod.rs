//! Command handlers: what each command the session hands to `Action::Execute` does against the
//! store, one file per command family.
//!
//! A handler writes its untagged responses into the connection's output (`Exec::wire`) and
//! returns a [`Completion`]; the driver then adds pending mailbox updates and the tagged
//! response. Invariants: a handler only changes a mailbox the session may change (read-only
//! selections are refused here as well as in the session); store errors are mapped to responses
//! only through [`store_error`].

mod copy;
mod expunge;
mod fetch;
mod fetch_body;
mod keywords;
mod list;
mod list_match;
mod mailboxes;
mod quota;
mod search;
mod select;
mod status;
mod store;

use crate::conn::wire::Wire;
use crate::mailbox::SelectedView;
use crate::proto::command::CommandBody;
use crate::proto::mailbox::{MailboxNameError, RawMailbox};
use crate::proto::response::Code;
use crate::proto::seqset::SequenceSet;
use crate::server::Shared;
use crate::session::{AuthUser, CommandError, Completion};
use eider_model::types::Uid;
use eider_store::MailStore;
use eider_store::StoreError;
use std::sync::Arc;

pub use keywords::Keywords;

/// What a handler may use.
pub struct Exec<'a> {
    pub shared: &'a Arc<Shared>,
    pub user: &'a AuthUser,
    pub view: &'a mut Option<SelectedView>,
    pub wire: &'a mut Wire,
    pub condstore: bool,
    pub utf8: bool,
    /// SEARCHRES saved result (RFC 5182), as UIDs.
    pub saved: &'a mut Option<Vec<Uid>>,
    /// Keywords announced in FLAGS for the selected mailbox.
    pub keywords: &'a mut Keywords,
}

impl std::fmt::Debug for Exec<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exec").finish_non_exhaustive()
    }
}

/// Why a handler stopped.
#[derive(Debug)]
pub enum Failure {
    /// Writing to the client failed: the connection is gone.
    Io(std::io::Error),
    Command(CommandError),
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<CommandError> for Failure {
    fn from(e: CommandError) -> Self {
        Failure::Command(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure::Command(store_error(e))
    }
}

pub type HResult = Result<Completion, Failure>;

/// The fixed mapping of store errors to IMAP answers (RFC 5530 codes).
pub fn store_error(e: StoreError) -> CommandError {
    let no = |code, text: &str| CommandError::no(code, text);
    match e {
        StoreError::NotFound(_) => no(Code::NonExistent, "No such mailbox or message"),
        StoreError::AlreadyExists(_) => no(Code::AlreadyExists, "Mailbox already exists"),
        StoreError::OverQuota => no(Code::OverQuota, "Quota exceeded"),
        StoreError::Invalid(_) => no(Code::Cannot, "Invalid name or argument"),
        StoreError::NotAllowed(_) => no(Code::Cannot, "Operation not allowed"),
        StoreError::Unavailable(_) => no(Code::Unavailable, "Storage unavailable, try again"),
        other => CommandError::Internal {
            detail: other.to_string(),
        },
    }
}

/// Seconds since the epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

pub fn ok(text: &str) -> HResult {
    Ok(Completion::Ok {
        code: None,
        text: text.into(),
    })
}

impl Exec<'_> {
    pub fn store(&self) -> &dyn MailStore {
        self.shared.ctx.store.as_ref()
    }

    /// The store path of a mailbox argument.
    pub fn path(&self, raw: &RawMailbox) -> Result<String, CommandError> {
        raw.decode(self.utf8).map_err(|e| match e {
            MailboxNameError::BadEncoding => CommandError::Bad(e.to_string()),
            MailboxNameError::Empty => CommandError::no(Code::Cannot, "Invalid mailbox name"),
        })
    }

    /// The selected mailbox view.
    pub fn view(&mut self) -> Result<&mut SelectedView, CommandError> {
        self.view
            .as_mut()
            .ok_or_else(|| CommandError::Bad("No mailbox selected".into()))
    }

    /// The view, refusing read-only selections (RFC 3501 §6.3.2).
    pub fn writable_view(&mut self) -> Result<&mut SelectedView, CommandError> {
        let v = self.view()?;
        if v.read_only() {
            return Err(CommandError::no(Code::Cannot, "Mailbox is read-only"));
        }
        Ok(v)
    }
}

/// The UIDs a sequence set (message numbers, or UIDs when `uid`) names among the messages the
/// client knows, ascending; `$` is the saved search result (RFC 5182). A message number beyond
/// the mailbox is `BAD` (RFC 3501 §9).
pub fn resolve(
    view: &SelectedView,
    set: &SequenceSet,
    uid: bool,
    saved: Option<&[Uid]>,
) -> Result<Vec<Uid>, CommandError> {
    if matches!(set, SequenceSet::Saved) {
        let mut v: Vec<Uid> = saved
            .unwrap_or_default()
            .iter()
            .copied()
            .filter(|u| view.seq_of(*u).is_some())
            .collect();
        v.sort_unstable();
        v.dedup();
        return Ok(v);
    }
    let found = view
        .resolve(set, uid)
        .map_err(|e| CommandError::Bad(e.to_string()))?;
    Ok(found.into_iter().map(|(_, u)| u).collect())
}

/// Runs one command; only a write failure ends it with an error.
pub async fn run(ex: &mut Exec<'_>, tag: &str, cmd: CommandBody) -> std::io::Result<Completion> {
    let name = cmd.name();
    // Boxed as `Send` here so the compiler proves it once, in a non-generic context (the
    // higher-ranked lifetimes of the handlers' futures otherwise defeat the check at spawn).
    let fut: std::pin::Pin<Box<dyn std::future::Future<Output = HResult> + Send + '_>> =
        Box::pin(dispatch(ex, tag, cmd));
    let result = fut.await;
    match result {
        Ok(c) => Ok(c),
        Err(Failure::Io(e)) => Err(e),
        Err(Failure::Command(e)) => {
            if let CommandError::Internal { detail } = &e {
                tracing::warn!(command = name, error = %detail, "command failed");
            }
            Ok(Completion::Failed(e))
        }
    }
}

async fn dispatch(ex: &mut Exec<'_>, tag: &str, cmd: CommandBody) -> HResult {
    use CommandBody as B;
    match cmd {
        B::Select(s) => select::select(ex, &s, false).await,
        B::Examine(s) => select::select(ex, &s, true).await,
        B::Create(c) => mailboxes::create(ex, &c).await,
        B::Delete(m) => mailboxes::delete(ex, &m).await,
        B::Rename(r) => mailboxes::rename(ex, &r).await,
        B::Subscribe(m) => mailboxes::subscribe(ex, &m, true).await,
        B::Unsubscribe(m) => mailboxes::subscribe(ex, &m, false).await,
        B::List(l) => list::list(ex, &l).await,
        B::Lsub { reference, pattern } => list::lsub(ex, &reference, &pattern, false).await,
        B::Xlist { reference, pattern } => list::lsub(ex, &reference, &pattern, true).await,
        B::Status(s) => status::status(ex, &s).await,
        B::GetQuota(root) => quota::get_quota(ex, &root).await,
        B::GetQuotaRoot(m) => quota::get_quota_root(ex, &m).await,
        B::Noop => ok("NOOP completed"),
        B::Check => ok("CHECK completed"),
        B::Close => expunge::close(ex).await,
        B::Expunge => expunge::expunge(ex, None).await,
        B::UidExpunge(set) => expunge::expunge(ex, Some(&set)).await,
        B::Search(s) => search::search(ex, tag, &s).await,
        B::Fetch(f) => fetch::fetch(ex, &f).await,
        B::Store(s) => store::store(ex, &s).await,
        B::Copy(c) => copy::copy(ex, &c, false).await,
        B::Move(c) => copy::copy(ex, &c, true).await,
        other => Err(CommandError::Bad(format!("{} not expected here", other.name())).into()),
    }
}
