//! IMAP response values for the differential tests: a response (text plus its literals, as
//! `Imap::response` returns it) parsed into atoms, strings and lists, so that two servers'
//! answers compare by meaning rather than by syntax (a quoted string and a literal with the same
//! bytes are the same string, RFC 3501 §4.3).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use super::Resp;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum V {
    /// An atom, number, `NIL`, flag, or a bracketed item like `BODY[1.MIME]<0>` or a response
    /// code `[UIDVALIDITY 5]`, kept whole.
    Atom(String),
    /// A quoted string or a literal.
    Str(Vec<u8>),
    List(Vec<V>),
}

impl V {
    pub fn atom(&self) -> Option<&str> {
        match self {
            V::Atom(a) => Some(a),
            _ => None,
        }
    }
    pub fn list(&self) -> Option<&[V]> {
        match self {
            V::List(l) => Some(l),
            _ => None,
        }
    }
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Atom(a) => f.write_str(a),
            V::Str(s) if s.len() > 200 || s.contains(&b'\n') => write!(
                f,
                "{{{}}}{:?}",
                s.len(),
                String::from_utf8_lossy(&s[..s.len().min(60)])
            ),
            V::Str(s) => write!(f, "{:?}", String::from_utf8_lossy(s)),
            V::List(l) => {
                f.write_str("(")?;
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str(")")
            }
        }
    }
}

/// Parses a whole response into its top-level values.
pub fn parse(resp: &Resp) -> Vec<V> {
    let mut p = P {
        s: &resp.0,
        i: 0,
        lits: resp.1.iter(),
    };
    let mut out = Vec::new();
    while let Some(v) = p.value() {
        out.push(v);
    }
    out
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
    lits: std::slice::Iter<'a, Vec<u8>>,
}

impl P<'_> {
    fn value(&mut self) -> Option<V> {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\r' | b'\n') {
            self.i += 1;
        }
        let c = *self.s.get(self.i)?;
        match c {
            b')' => None,
            b'(' => {
                self.i += 1;
                let mut l = Vec::new();
                while let Some(v) = self.value() {
                    l.push(v);
                }
                self.i += 1; // ')'
                Some(V::List(l))
            }
            b'"' => {
                self.i += 1;
                let mut out = Vec::new();
                while self.i < self.s.len() && self.s[self.i] != b'"' {
                    if self.s[self.i] == b'\\' {
                        self.i += 1;
                    }
                    out.push(self.s[self.i]);
                    self.i += 1;
                }
                self.i += 1;
                Some(V::Str(out))
            }
            b'{' => {
                let close = self.i + self.s[self.i..].iter().position(|&b| b == b'}').unwrap();
                self.i = close + 3; // "}\r\n"
                Some(V::Str(self.lits.next().unwrap().clone()))
            }
            _ => {
                let start = self.i;
                let mut depth = 0;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'[' => depth += 1,
                        b']' => depth -= 1,
                        b' ' | b'(' | b')' | b'\r' | b'\n' if depth == 0 => break,
                        _ => {}
                    }
                    self.i += 1;
                }
                Some(V::Atom(
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                ))
            }
        }
    }
}

/// The data items of a `* n FETCH (...)` response as (item name, value) pairs, or `None` for
/// any other response.
pub fn fetch_items(resp: &Resp) -> Option<(u32, Vec<(String, V)>)> {
    let v = parse(resp);
    if v.len() != 4 || v[0].atom() != Some("*") || v[2].atom() != Some("FETCH") {
        return None;
    }
    let n = v[1].atom()?.parse().ok()?;
    let items = v[3].list()?;
    let pairs = items
        .chunks(2)
        .map(|kv| (kv[0].atom().unwrap_or("?").to_owned(), kv[1].clone()))
        .collect();
    Some((n, pairs))
}
