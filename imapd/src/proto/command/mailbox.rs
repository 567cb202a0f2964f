//! Mailbox commands: SELECT/EXAMINE (with CONDSTORE, RFC 7162 §3.1.8), CREATE (with USE, RFC
//! 6154 §5.2), DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS (RFC 3501 §6.3; SIZE RFC 8438,
//! APPENDLIMIT RFC 7889, HIGHESTMODSEQ RFC 7162).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::mailbox::RawMailbox;
use super::raw_mailbox;
use eider_model::SpecialUse;

/// SELECT / EXAMINE arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Select {
    pub mailbox: RawMailbox,
    /// `(CONDSTORE)` select parameter: enables CONDSTORE for the session.
    pub condstore: bool,
}

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

/// One STATUS data item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusItem {
    Messages,
    Recent,
    UidNext,
    UidValidity,
    Unseen,
    HighestModSeq,
    Size,
    AppendLimit,
}

impl StatusItem {
    pub fn as_wire(self) -> &'static str {
        match self {
            StatusItem::Messages => "MESSAGES",
            StatusItem::Recent => "RECENT",
            StatusItem::UidNext => "UIDNEXT",
            StatusItem::UidValidity => "UIDVALIDITY",
            StatusItem::Unseen => "UNSEEN",
            StatusItem::HighestModSeq => "HIGHESTMODSEQ",
            StatusItem::Size => "SIZE",
            StatusItem::AppendLimit => "APPENDLIMIT",
        }
    }

    pub(crate) fn parse(c: &mut Cursor<'_>) -> PResult<Self> {
        Ok(match c.atom_upper()?.as_str() {
            "MESSAGES" => StatusItem::Messages,
            "RECENT" => StatusItem::Recent,
            "UIDNEXT" => StatusItem::UidNext,
            "UIDVALIDITY" => StatusItem::UidValidity,
            "UNSEEN" => StatusItem::Unseen,
            "HIGHESTMODSEQ" => StatusItem::HighestModSeq,
            "SIZE" => StatusItem::Size,
            "APPENDLIMIT" => StatusItem::AppendLimit,
            _ => return Err(SyntaxError("unknown STATUS item")),
        })
    }
}

/// STATUS arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub mailbox: RawMailbox,
    pub items: Vec<StatusItem>,
}

pub(super) fn parse_one(c: &mut Cursor<'_>) -> PResult<RawMailbox> {
    c.sp()?;
    raw_mailbox(c)
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

pub(super) fn parse_status(c: &mut Cursor<'_>) -> PResult<Status> {
    let mailbox = parse_one(c)?;
    c.sp()?;
    let items = c.paren_list(false, StatusItem::parse)?;
    Ok(Status { mailbox, items })
}
