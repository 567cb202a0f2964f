//! ID (RFC 2971 §3.1): `ID ("field" value ...)` or `ID NIL`.

use super::super::cursor::Cursor;
use super::super::error::PResult;

/// ID parameters: `NIL` or field/value pairs.
pub type IdParams = Option<Vec<(Vec<u8>, Option<Vec<u8>>)>>;

pub(super) fn parse_id(c: &mut Cursor<'_>) -> PResult<IdParams> {
    c.sp()?;
    if c.keyword("NIL") {
        return Ok(None);
    }
    let mut pairs = Vec::new();
    c.expect(b'(', "expected (")?;
    if c.eat(b')') {
        return Ok(Some(pairs));
    }
    loop {
        let k = c.string()?;
        c.sp()?;
        let v = c.nstring()?;
        pairs.push((k, v));
        if c.eat(b')') {
            return Ok(Some(pairs));
        }
        c.sp()?;
    }
}
