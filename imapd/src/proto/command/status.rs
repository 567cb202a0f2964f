//! STATUS (RFC 3501 §6.3.10; SIZE RFC 8438, APPENDLIMIT RFC 7889, HIGHESTMODSEQ RFC 7162).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::mailbox::RawMailbox;
use super::parse_one;

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

pub(super) fn parse_status(c: &mut Cursor<'_>) -> PResult<Status> {
    let mailbox = parse_one(c)?;
    c.sp()?;
    let items = c.paren_list(false, StatusItem::parse)?;
    Ok(Status { mailbox, items })
}
