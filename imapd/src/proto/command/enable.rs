//! ENABLE (RFC 5161 §3.1): `ENABLE capability *(SP capability)`.

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};

pub(super) fn parse_enable(c: &mut Cursor<'_>) -> PResult<Vec<String>> {
    let mut caps = Vec::new();
    while c.peek() == Some(b' ') {
        c.sp()?;
        if c.at_end() {
            break;
        }
        caps.push(c.atom_upper()?);
    }
    if caps.is_empty() {
        return Err(SyntaxError("ENABLE needs a capability"));
    }
    Ok(caps)
}
