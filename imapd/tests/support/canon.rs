//! Normalisation of FETCH data items before two servers' answers are compared: only forms that
//! RFC 3501 / RFC 2045 say mean the same thing are made equal (see docs/imap.md, "Differential
//! testing against Dovecot").

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use super::value::V;

fn lower(v: &V) -> V {
    match v {
        V::Str(s) => V::Str(s.to_ascii_lowercase()),
        other => other.clone(),
    }
}

/// body-fld-param: names are case-insensitive (RFC 2045 §5.1), and so are charset names
/// (RFC 2046 §4.1.2).
fn params(v: &V) -> V {
    let Some(l) = v.list() else { return v.clone() };
    let mut out = Vec::new();
    for kv in l.chunks(2) {
        let name = lower(&kv[0]);
        let value = match (&name, kv.get(1)) {
            (V::Str(n), Some(val)) if n == b"charset" => lower(val),
            (_, Some(val)) => val.clone(),
            (_, None) => continue,
        };
        out.push(name);
        out.push(value);
    }
    V::List(out)
}

/// body-fld-dsp: the disposition type is case-insensitive (RFC 2183 §2).
fn disposition(v: &V) -> V {
    match v.list() {
        Some([t, p]) => V::List(vec![lower(t), params(p)]),
        _ => v.clone(),
    }
}

/// body-fld-lang: `"en"` and `("en")` are the same (RFC 3501 §9, body-fld-lang).
fn language(v: &V) -> V {
    match v {
        V::Str(_) => V::List(vec![v.clone()]),
        other => other.clone(),
    }
}

/// A `BODY` / `BODYSTRUCTURE` value with type, subtype, encoding, parameter names, charsets,
/// disposition types lower-cased and languages as lists.
pub fn body(v: &V) -> V {
    let Some(l) = v.list() else { return v.clone() };
    let mut out: Vec<V> = l.to_vec();
    if matches!(l.first(), Some(V::List(_))) {
        // multipart: children, subtype, [params [dsp [lang [loc]]]]
        let n = l.iter().take_while(|c| matches!(c, V::List(_))).count();
        for c in &mut out[..n] {
            *c = body(c);
        }
        if let Some(s) = out.get_mut(n) {
            *s = lower(s);
        }
        fix(&mut out, n + 1, params);
        fix(&mut out, n + 2, disposition);
        fix(&mut out, n + 3, language);
        return V::List(out);
    }
    // type subtype params id desc enc size [envelope body lines | lines] [md5 dsp lang loc]
    for i in [0, 1, 5] {
        fix(&mut out, i, lower);
    }
    fix(&mut out, 2, params);
    let is = |i: usize, w: &[u8]| matches!(out.get(i), Some(V::Str(s)) if s == w);
    let base = if is(0, b"message") && (is(1, b"rfc822") || is(1, b"global")) {
        fix(&mut out, 8, body);
        10
    } else if is(0, b"text") {
        8
    } else {
        7
    };
    fix(&mut out, base + 1, disposition);
    fix(&mut out, base + 2, language);
    V::List(out)
}

fn fix(v: &mut [V], i: usize, f: fn(&V) -> V) {
    if let Some(x) = v.get_mut(i) {
        *x = f(x);
    }
}

/// `INTERNALDATE` as seconds since the epoch: Dovecot's Maildir keeps the instant (file mtime)
/// but not the zone APPEND gave, so only the instant is comparable.
pub fn internaldate(v: &V) -> V {
    let V::Str(s) = v else { return v.clone() };
    let quoted = [b"\"".as_slice(), s, b"\""].concat();
    let mut c = eider_imapd::proto::cursor::Cursor::new(&quoted);
    match eider_imapd::proto::datetime::DateTime::parse(&mut c) {
        Ok(d) => V::Atom(d.unix.to_string()),
        Err(_) => v.clone(),
    }
}
