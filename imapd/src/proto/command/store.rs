//! STORE (RFC 3501 §6.4.6, UNCHANGEDSINCE RFC 7162 §3.1.3).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use super::super::flag::Flag;
use super::super::seqset::SequenceSet;

/// How STORE combines flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreMode {
    Replace,
    Add,
    Remove,
}

/// STORE arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Store {
    pub uid: bool,
    pub set: SequenceSet,
    pub mode: StoreMode,
    /// `.SILENT`: no untagged FETCH for the changed flags (unless modseq conflicts).
    pub silent: bool,
    pub flags: Vec<Flag>,
    pub unchanged_since: Option<u64>,
}

pub(super) fn parse_store(c: &mut Cursor<'_>, uid: bool) -> PResult<Store> {
    c.sp()?;
    let set = SequenceSet::parse(c)?;
    c.sp()?;
    let mut unchanged_since = None;
    if c.peek() == Some(b'(') {
        let mods = c.paren_list(false, |c| {
            if !c.keyword("UNCHANGEDSINCE") {
                return Err(SyntaxError("unknown STORE modifier"));
            }
            c.sp()?;
            c.number64()
        })?;
        unchanged_since = mods.last().copied();
        c.sp()?;
    }
    let mode = if c.eat(b'+') {
        StoreMode::Add
    } else if c.eat(b'-') {
        StoreMode::Remove
    } else {
        StoreMode::Replace
    };
    let silent = if c.keyword("FLAGS") {
        false
    } else if c.keyword("FLAGS.SILENT") {
        true
    } else {
        return Err(SyntaxError("expected FLAGS"));
    };
    c.sp()?;
    let flags = if c.peek() == Some(b'(') {
        Flag::parse_list(c)?
    } else {
        let mut flags = vec![Flag::parse(c)?];
        while c.peek() == Some(b' ') {
            c.sp()?;
            if c.at_end() {
                break;
            }
            flags.push(Flag::parse(c)?);
        }
        flags
    };
    Ok(Store {
        uid,
        set,
        mode,
        silent,
        flags,
        unchanged_since,
    })
}
