//! SELECT and EXAMINE (RFC 3501 §6.3.1-2), with the CONDSTORE select parameter (RFC 7162
//! §3.1.8).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::mailbox::RawMailbox;
use super::parse_one;

/// SELECT / EXAMINE arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    pub mailbox: RawMailbox,
    /// `(CONDSTORE)` select parameter: enables CONDSTORE for the session.
    pub condstore: bool,
}

pub(super) fn parse_select(c: &mut Cursor<'_>) -> PResult<Select> {
    let mailbox = parse_one(c)?;
    let mut condstore = false;
    if c.peek() == Some(b' ') && c.rest().get(1) == Some(&b'(') {
        c.sp()?;
        // RFC 4466 select-params; we know CONDSTORE and reject the rest (QRESYNC is not offered).
        for p in c.paren_list(false, |c| c.atom_upper())? {
            match p.as_str() {
                "CONDSTORE" => condstore = true,
                _ => return Err(SyntaxError("unknown SELECT parameter")),
            }
        }
    }
    Ok(Select { mailbox, condstore })
}
