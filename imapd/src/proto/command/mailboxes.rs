//! CREATE (with USE, RFC 6154 §5.2), DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE (RFC 3501
//! §6.3.3-7). DELETE and (UN)SUBSCRIBE take just a mailbox ([`super::parse_one`]).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::mailbox::RawMailbox;
use super::parse_one;
use eider_model::SpecialUse;

/// CREATE arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Create {
    pub mailbox: RawMailbox,
    /// `(USE (\Sent ...))`.
    pub special_use: Vec<SpecialUse>,
}

/// RENAME arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rename {
    pub from: RawMailbox,
    pub to: RawMailbox,
}

pub(super) fn parse_create(c: &mut Cursor<'_>) -> PResult<Create> {
    let mailbox = parse_one(c)?;
    let mut special_use = Vec::new();
    if c.peek() == Some(b' ') && c.rest().get(1) == Some(&b'(') {
        c.sp()?;
        c.expect(b'(', "expected (")?;
        // RFC 6154 §5.2: create-param = "USE" SP "(" [use-attr *(SP use-attr)] ")"
        if !c.keyword("USE") {
            return Err(SyntaxError("unknown CREATE parameter"));
        }
        c.sp()?;
        let attrs = c.paren_list(true, |c| {
            c.expect(b'\\', "expected \\attribute")?;
            let a = c.atom()?;
            let s = String::from_utf8_lossy(a);
            SpecialUse::parse(&s).ok_or(SyntaxError("unknown USE attribute"))
        })?;
        special_use = attrs;
        c.expect(b')', "expected )")?;
    }
    Ok(Create {
        mailbox,
        special_use,
    })
}

pub(super) fn parse_rename(c: &mut Cursor<'_>) -> PResult<Rename> {
    let from = parse_one(c)?;
    let to = parse_one(c)?;
    Ok(Rename { from, to })
}
