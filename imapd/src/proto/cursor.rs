//! Lexical primitives over one complete command buffer (RFC 3501 §9 formal syntax).
//!
//! The receiver hands the parser a buffer holding the whole command: line text with every literal
//! inlined as `{n}\r\n<n bytes>` (canonicalised, so `{n+}` and `~{n}` are read the same way) and
//! the final CRLF removed. The cursor never reads past the buffer; every failure is a
//! [`SyntaxError`] value.

use super::error::{PResult, SyntaxError};

/// A read position in a complete command buffer.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

fn err<T>(msg: &'static str) -> PResult<T> {
    Err(SyntaxError(msg))
}

/// RFC 3501 §9 ATOM-CHAR, leniently admitting 8-bit bytes (UTF-8 sent by modern clients).
pub fn is_atom_char(b: u8) -> bool {
    !matches!(
        b,
        b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\' | b']'
    ) && b > 0x1f
        && b != 0x7f
}

/// ASTRING-CHAR: ATOM-CHAR or `]`.
pub fn is_astring_char(b: u8) -> bool {
    is_atom_char(b) || b == b']'
}

/// list-char: ATOM-CHAR, list-wildcards or resp-specials.
pub fn is_list_char(b: u8) -> bool {
    is_astring_char(b) || b == b'%' || b == b'*'
}

/// tag: ASTRING-CHAR except `+`.
pub fn is_tag_char(b: u8) -> bool {
    is_astring_char(b) && b != b'+'
}

impl<'a> Cursor<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos.min(self.buf.len())..]
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, b: u8, msg: &'static str) -> PResult<()> {
        if self.eat(b) { Ok(()) } else { err(msg) }
    }

    /// Exactly one SP.
    pub fn sp(&mut self) -> PResult<()> {
        self.expect(b' ', "expected space")
    }

    /// The end of the command; trailing spaces are tolerated because clients send them.
    pub fn end(&mut self) -> PResult<()> {
        while self.eat(b' ') {}
        if self.at_end() {
            Ok(())
        } else {
            err("unexpected trailing data")
        }
    }

    /// Consumes `word` case-insensitively if it is next and is not followed by more atom chars.
    pub fn keyword(&mut self, word: &str) -> bool {
        let w = word.as_bytes();
        let Some(candidate) = self.buf.get(self.pos..self.pos + w.len()) else {
            return false;
        };
        if !candidate.eq_ignore_ascii_case(w) {
            return false;
        }
        if let Some(&next) = self.buf.get(self.pos + w.len())
            && is_atom_char(next)
            && w.last().is_none_or(|l| is_atom_char(*l))
        {
            return false;
        }
        self.pos += w.len();
        true
    }

    /// Consumes `word` case-insensitively with no delimiter check (for `BODY[`, `<` forms).
    pub fn prefix(&mut self, word: &str) -> bool {
        let w = word.as_bytes();
        match self.buf.get(self.pos..self.pos + w.len()) {
            Some(c) if c.eq_ignore_ascii_case(w) => {
                self.pos += w.len();
                true
            }
            _ => false,
        }
    }

    /// The longest run of bytes accepted by `pred` (possibly empty).
    pub fn take_while(&mut self, pred: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&pred) {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    /// An atom (one or more ATOM-CHARs).
    pub fn atom(&mut self) -> PResult<&'a [u8]> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            err("expected atom")
        } else {
            Ok(a)
        }
    }

    /// An atom as upper-case ASCII text, for keyword dispatch.
    pub fn atom_upper(&mut self) -> PResult<String> {
        let a = self.atom()?;
        Ok(String::from_utf8_lossy(a).to_ascii_uppercase())
    }

    /// number: 1*DIGIT fitting in u32.
    pub fn number(&mut self) -> PResult<u32> {
        let n = self.number64()?;
        u32::try_from(n).or(err("number too large"))
    }

    /// nz-number.
    pub fn nz_number(&mut self) -> PResult<u32> {
        match self.number()? {
            0 => err("zero not allowed"),
            n => Ok(n),
        }
    }

    /// number64 (RFC 9051) / mod-sequence-value (RFC 7162).
    pub fn number64(&mut self) -> PResult<u64> {
        let d = self.take_while(|b| b.is_ascii_digit());
        if d.is_empty() {
            return err("expected number");
        }
        let mut n: u64 = 0;
        for &b in d {
            n = n
                .checked_mul(10)
                .and_then(|n| n.checked_add(u64::from(b - b'0')))
                .ok_or(SyntaxError("number too large"))?;
        }
        Ok(n)
    }

    /// quoted: DQUOTE *QUOTED-CHAR DQUOTE, with `\"` and `\\` escapes.
    pub fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"', "expected quoted string")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return err("unterminated quoted string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c);
                            self.pos += 1;
                        }
                        _ => return err("bad escape in quoted string"),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// A literal as the receiver canonicalised it: `{n}` CRLF n bytes. With `allow8`, `~{n}`
    /// (literal8, RFC 3516 / RFC 6855) is accepted too.
    pub fn literal(&mut self, allow8: bool) -> PResult<&'a [u8]> {
        if allow8 {
            self.eat(b'~');
        }
        self.expect(b'{', "expected literal")?;
        let n = self.number64()?;
        self.eat(b'+');
        self.expect(b'}', "bad literal")?;
        self.expect(b'\r', "bad literal")?;
        self.expect(b'\n', "bad literal")?;
        let n = usize::try_from(n).or(err("literal too large"))?;
        let end = self.pos.checked_add(n).ok_or(SyntaxError("bad literal"))?;
        let Some(data) = self.buf.get(self.pos..end) else {
            return err("truncated literal");
        };
        self.pos = end;
        Ok(data)
    }

    /// string: quoted / literal.
    pub fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal(false)?.to_vec()),
            _ => err("expected string"),
        }
    }

    /// astring: 1*ASTRING-CHAR / string.
    pub fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_astring_char);
                if a.is_empty() {
                    err("expected astring")
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// An astring that must be UTF-8 text.
    pub fn astring_utf8(&mut self) -> PResult<String> {
        String::from_utf8(self.astring()?).or(err("expected UTF-8"))
    }

    /// nstring: string / NIL.
    pub fn nstring(&mut self) -> PResult<Option<Vec<u8>>> {
        if self.keyword("NIL") {
            return Ok(None);
        }
        self.string().map(Some)
    }

    /// list-mailbox: 1*list-char / string.
    pub fn list_mailbox(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(is_list_char);
                if a.is_empty() {
                    err("expected list pattern")
                } else {
                    Ok(a.to_vec())
                }
            }
        }
    }

    /// A parenthesised, space-separated list of elements read by `item`; `allow_empty` admits
    /// `()`.
    pub fn paren_list<T>(
        &mut self,
        allow_empty: bool,
        mut item: impl FnMut(&mut Self) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        self.expect(b'(', "expected (")?;
        let mut out = Vec::new();
        if self.eat(b')') {
            return if allow_empty {
                Ok(out)
            } else {
                err("empty list")
            };
        }
        loop {
            out.push(item(self)?);
            if self.eat(b')') {
                return Ok(out);
            }
            self.sp()?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes() {
        let cases: &[(&[u8], Option<&[u8]>)] = &[
            (b"\"abc\"", Some(b"abc")),
            (b"\"a\\\"b\"", Some(b"a\"b")),
            (b"\"a\\\\b\"", Some(b"a\\b")),
            (b"\"\"", Some(b"")),
            (b"\"a\\b\"", None),
            (b"\"abc", None),
        ];
        for (input, want) in cases {
            let got = Cursor::new(input).quoted().ok();
            assert_eq!(got.as_deref(), *want, "{}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn astring_forms() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"INBOX", b"INBOX"),
            (b"a]b c", b"a]b"),
            (b"{3}\r\nx y", b"x y"),
            (b"\"q q\"", b"q q"),
        ];
        for (input, want) in cases {
            assert_eq!(Cursor::new(input).astring().unwrap(), *want);
        }
        assert!(Cursor::new(b"(x)").astring().is_err());
        assert!(Cursor::new(b"{5}\r\nab").astring().is_err());
    }

    #[test]
    fn keyword_needs_delimiter() {
        assert!(Cursor::new(b"NIL ").keyword("nil"));
        assert!(!Cursor::new(b"NILS").keyword("NIL"));
        // `[` is an ATOM-CHAR, so `BODY[` is not the keyword BODY.
        assert!(!Cursor::new(b"BODY[").keyword("BODY"));
        assert!(Cursor::new(b"BODY ").keyword("BODY"));
        assert!(Cursor::new(b"nil").keyword("NIL"));
    }

    #[test]
    fn numbers() {
        assert_eq!(Cursor::new(b"4294967295").number(), Ok(4294967295));
        assert!(Cursor::new(b"4294967296").number().is_err());
        assert!(Cursor::new(b"0").nz_number().is_err());
        assert!(Cursor::new(b"99999999999999999999999").number64().is_err());
    }
}
