//! QUOTA commands (RFC 9208 §4): GETQUOTA, GETQUOTAROOT (parsed in the dispatcher), SETQUOTA.
//! We parse SETQUOTA fully so the session can answer it with a proper `NO`.

use super::super::cursor::Cursor;
use super::super::error::PResult;

/// SETQUOTA arguments: root and (resource, limit) pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetQuota {
    pub root: Vec<u8>,
    pub limits: Vec<(String, u64)>,
}

pub(super) fn parse_setquota(c: &mut Cursor<'_>) -> PResult<SetQuota> {
    c.sp()?;
    let root = c.astring()?;
    c.sp()?;
    let limits = c.paren_list(true, |c| {
        let name = c.atom_upper()?;
        c.sp()?;
        Ok((name, c.number64()?))
    })?;
    Ok(SetQuota { root, limits })
}
