//! APPEND (RFC 3501 §6.3.11, UTF8 form RFC 6855 §4, literal8 RFC 3516): only the part before the
//! message literal is parsed here; the receiver streams the message itself.

use super::super::cursor::Cursor;
use super::super::datetime::DateTime;
use super::super::flag::Flag;
use super::super::mailbox::RawMailbox;
use super::{raw_mailbox, tag};

/// Everything an APPEND says before its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendHeader {
    pub tag: String,
    pub mailbox: RawMailbox,
    pub flags: Vec<Flag>,
    pub date: Option<DateTime>,
    /// Size of the message literal in bytes.
    pub literal_size: u64,
    /// `{n}`: the session must accept (`+ Ready`) or reject before the client sends the message.
    pub synchronizing: bool,
    /// The `UTF8 (~{n})` form (RFC 6855).
    pub utf8: bool,
    /// The message came as literal8 (`~{n}`), so it may contain NUL bytes.
    pub binary: bool,
}

/// Reads `tag SP APPEND SP mailbox [SP flag-list] [SP date-time] SP [UTF8 SP (]` that must make
/// up all of `prefix` (the command text before a literal announcement). `None` means the literal
/// is not an APPEND message (e.g. it is the mailbox name, or this is another command).
pub fn parse_prefix(prefix: &[u8], size: u64, sync: bool, binary: bool) -> Option<AppendHeader> {
    let mut c = Cursor::new(prefix);
    let tag = tag(&mut c).ok()?;
    if !c.keyword("APPEND") {
        return None;
    }
    c.sp().ok()?;
    let mailbox = raw_mailbox(&mut c).ok()?;
    c.sp().ok()?;
    let mut header = AppendHeader {
        tag,
        mailbox,
        flags: Vec::new(),
        date: None,
        literal_size: size,
        synchronizing: sync,
        utf8: false,
        binary,
    };
    if c.peek() == Some(b'(') {
        header.flags = Flag::parse_list(&mut c).ok()?;
        c.sp().ok()?;
    }
    if c.peek() == Some(b'"') {
        header.date = Some(DateTime::parse(&mut c).ok()?);
        c.sp().ok()?;
    }
    if c.keyword("UTF8") {
        c.sp().ok()?;
        c.expect(b'(', "").ok()?;
        header.utf8 = true;
    }
    c.at_end().then_some(header)
}
