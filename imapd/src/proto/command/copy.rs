//! COPY (RFC 3501 §6.4.7, UID COPY §6.4.8): `COPY sequence-set mailbox`.

use super::super::cursor::Cursor;
use super::super::error::PResult;
use super::super::mailbox::RawMailbox;
use super::super::seqset::SequenceSet;
use super::raw_mailbox;

/// COPY / MOVE arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyMove {
    pub uid: bool,
    pub set: SequenceSet,
    pub mailbox: RawMailbox,
}

pub(super) fn parse_copy(c: &mut Cursor<'_>, uid: bool) -> PResult<CopyMove> {
    c.sp()?;
    let set = SequenceSet::parse(c)?;
    c.sp()?;
    let mailbox = raw_mailbox(c)?;
    Ok(CopyMove { uid, set, mailbox })
}
