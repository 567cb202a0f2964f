//! MOVE (RFC 6851 §3.1, UID MOVE §3.2): `MOVE sequence-set mailbox`. Its arguments are COPY's
//! ([`CopyMove`]), but it is its own command with its own parser.

use super::super::cursor::Cursor;
use super::super::error::PResult;
use super::super::seqset::SequenceSet;
use super::copy::CopyMove;
use super::raw_mailbox;

/// RFC 6851 §3.1: `move = "MOVE" SP sequence-set SP mailbox`; `uid` for `UID MOVE`.
pub(super) fn parse_move(c: &mut Cursor<'_>, uid: bool) -> PResult<CopyMove> {
    c.sp()?;
    let set = SequenceSet::parse(c)?;
    c.sp()?;
    let mailbox = raw_mailbox(c)?;
    Ok(CopyMove { uid, set, mailbox })
}
