//! CLOSE (RFC 3501 §6.4.2), EXPUNGE (§6.4.3) and UID EXPUNGE (RFC 4315 §2.1).
//!
//! The EXPUNGE responses are not written here: the store journals each removal and the
//! driver's update pass reports them through the view, with correct sequence numbers, exactly
//! as it does for removals by other sessions. CLOSE drops the view first, so its expunge is
//! silent.

use super::{Exec, HResult, ok, resolve};
use crate::proto::seqset::SequenceSet;
use crate::session::Completion;

pub async fn close(ex: &mut Exec<'_>) -> HResult {
    let view = ex.view()?;
    let (mailbox, read_only) = (view.mailbox(), view.read_only());
    *ex.view = None;
    if !read_only {
        ex.store().expunge(mailbox, None, true).await?;
    }
    Ok(Completion::Closed)
}

pub async fn expunge(ex: &mut Exec<'_>, set: Option<&SequenceSet>) -> HResult {
    let saved = ex.saved.clone();
    let view = ex.writable_view()?;
    let mailbox = view.mailbox();
    let uids = set
        .map(|s| resolve(view, s, true, saved.as_deref()))
        .transpose()?;
    if uids.as_ref().is_some_and(Vec::is_empty) {
        return ok("UID EXPUNGE completed");
    }
    ex.store().expunge(mailbox, uids.as_deref(), true).await?;
    ok("EXPUNGE completed")
}
