//! LIST (RFC 3501 §6.3.8 with LIST-EXTENDED RFC 5258, SPECIAL-USE RFC 6154, LIST-STATUS RFC
//! 5819), LSUB and XLIST.

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::status::StatusItem;

/// LIST selection options (RFC 5258 §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListSelect {
    pub subscribed: bool,
    pub special_use: bool,
    pub remote: bool,
    pub recursive_match: bool,
}

/// LIST return options (RFC 5258 §3.2, RFC 5819, RFC 6154).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListReturn {
    pub subscribed: bool,
    pub children: bool,
    pub special_use: bool,
    /// `STATUS (...)`: items to report per listed mailbox.
    pub status: Option<Vec<StatusItem>>,
}

/// LIST arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List {
    pub select: ListSelect,
    pub reference: Vec<u8>,
    /// One or more patterns (a parenthesised list in the extended form).
    pub patterns: Vec<Vec<u8>>,
    pub returns: ListReturn,
    /// Whether any extended syntax was used (the response then follows RFC 5258 rules).
    pub extended: bool,
}

pub(super) fn parse_simple(c: &mut Cursor<'_>) -> PResult<(Vec<u8>, Vec<u8>)> {
    c.sp()?;
    let reference = c.astring()?;
    c.sp()?;
    let pattern = c.list_mailbox()?;
    Ok((reference, pattern))
}

pub(super) fn parse_list(c: &mut Cursor<'_>) -> PResult<List> {
    let mut list = List::default();
    c.sp()?;
    if c.peek() == Some(b'(') {
        list.extended = true;
        for opt in c.paren_list(true, |c| c.atom_upper())? {
            match opt.as_str() {
                "SUBSCRIBED" => list.select.subscribed = true,
                "SPECIAL-USE" => list.select.special_use = true,
                "REMOTE" => list.select.remote = true,
                "RECURSIVEMATCH" => list.select.recursive_match = true,
                _ => return Err(SyntaxError("unknown LIST selection option")),
            }
        }
        // RFC 5258 §3.1: RECURSIVEMATCH needs another option that it modifies.
        if list.select.recursive_match && !list.select.subscribed && !list.select.special_use {
            return Err(SyntaxError("RECURSIVEMATCH alone"));
        }
        c.sp()?;
    }
    list.reference = c.astring()?;
    c.sp()?;
    if c.peek() == Some(b'(') {
        list.extended = true;
        list.patterns = c.paren_list(false, |c| c.list_mailbox())?;
    } else {
        list.patterns.push(c.list_mailbox()?);
    }
    // Anything but trailing spaces after the patterns must be RETURN options.
    if !c.rest().iter().all(|&b| b == b' ') {
        c.sp()?;
        if !c.keyword("RETURN") {
            return Err(SyntaxError("expected RETURN"));
        }
        list.extended = true;
        c.sp()?;
        c.expect(b'(', "expected (")?;
        if !c.eat(b')') {
            loop {
                return_option(c, &mut list.returns)?;
                if c.eat(b')') {
                    break;
                }
                c.sp()?;
            }
        }
    }
    Ok(list)
}

fn return_option(c: &mut Cursor<'_>, r: &mut ListReturn) -> PResult<()> {
    match c.atom_upper()?.as_str() {
        "SUBSCRIBED" => r.subscribed = true,
        "CHILDREN" => r.children = true,
        "SPECIAL-USE" => r.special_use = true,
        "STATUS" => {
            c.sp()?;
            r.status = Some(c.paren_list(false, StatusItem::parse)?);
        }
        _ => return Err(SyntaxError("unknown LIST return option")),
    }
    Ok(())
}
