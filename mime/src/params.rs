//! `Content-Type` / `Content-Disposition` values: the main token and parameters, with RFC 2231
//! continuations (`name*0*=`, `name*1=`) joined and charset-decoded, and RFC 2047 words in plain
//! parameter values (common in file names) decoded.
//!
//! Lenient by design: comments are dropped, unquoted values run to the next `;`, a parameter
//! without `=` is ignored, duplicate names keep the first.

use super::encoded_words;
use eider_model::Param;

/// Removes RFC 5322 comments outside quoted strings.
pub(crate) fn strip_comments(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len());
    let (mut depth, mut quoted, mut escaped) = (0u32, false, false);
    for &c in v {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(c);
            }
            continue;
        }
        match c {
            b'\\' if quoted || depth > 0 => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            b'"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            b'(' if !quoted => depth += 1,
            b')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Splits on `;` outside quoted strings.
fn split_semicolons(v: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, &c) in v.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b';' if !quoted => {
                out.push(&v[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&v[start..]);
    out
}

/// Removes surrounding quotes and quoted-pair backslashes.
pub(crate) fn unquote(v: &[u8]) -> Vec<u8> {
    let v = v.trim_ascii();
    let Some(inner) = v.strip_prefix(b"\"") else {
        return v.to_vec();
    };
    let inner = inner.strip_suffix(b"\"").unwrap_or(inner);
    let mut out = Vec::with_capacity(inner.len());
    let mut escaped = false;
    for &c in inner {
        if !escaped && c == b'\\' {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

/// Parses `main; a=b; c="d"` into the lower-cased main token and decoded parameters.
pub(crate) fn parse(value: &[u8], fallback: Option<&str>) -> (String, Vec<Param>) {
    let clean = strip_comments(value);
    let mut parts = split_semicolons(&clean);
    let first = parts.first().copied().unwrap_or_default().trim_ascii();
    // `multipart/mixed boundary=x` (the `;` forgotten): the main token ends at whitespace and
    // the rest is read as a parameter.
    let (main, extra) = match first.iter().position(|c| c.is_ascii_whitespace()) {
        Some(i) if memchr::memchr(b'=', &first[i..]).is_some() => (&first[..i], Some(&first[i..])),
        _ => (first, None),
    };
    let main = String::from_utf8_lossy(main).to_ascii_lowercase();
    if !parts.is_empty() {
        parts.remove(0);
    }
    let mut raw: Vec<(String, Vec<u8>)> = Vec::new();
    for p in extra.into_iter().chain(parts) {
        let Some(eq) = memchr::memchr(b'=', p) else {
            continue;
        };
        let name = String::from_utf8_lossy(p[..eq].trim_ascii()).to_ascii_lowercase();
        if name.is_empty() {
            continue;
        }
        raw.push((name, unquote(&p[eq + 1..])));
    }
    (main, join_2231(raw, fallback))
}

/// One RFC 2231 section: (section number, extended (percent-encoded), value).
type Section = (u32, bool, Vec<u8>);

/// Joins RFC 2231 sections and decodes values (RFC 2231 §3, §4).
fn join_2231(raw: Vec<(String, Vec<u8>)>, fallback: Option<&str>) -> Vec<Param> {
    let mut order: Vec<String> = Vec::new();
    let mut plain: Vec<(String, Vec<u8>)> = Vec::new();
    let mut sections: Vec<(String, Vec<Section>)> = Vec::new();
    for (name, value) in raw {
        let (base, section) = split_2231_name(&name);
        if !order.contains(&base.to_string()) {
            order.push(base.to_string());
        }
        match section {
            None => {
                if !plain.iter().any(|(n, _)| n == base) {
                    plain.push((base.to_string(), value));
                }
            }
            Some((n, ext)) => match sections.iter_mut().find(|(b, _)| b == base) {
                Some((_, v)) => v.push((n, ext, value)),
                None => sections.push((base.to_string(), vec![(n, ext, value)])),
            },
        }
    }
    let mut out = Vec::new();
    for name in order {
        let value = if let Some((_, mut secs)) = sections.iter().find(|(b, _)| *b == name).cloned()
        {
            secs.sort_by_key(|s| s.0);
            decode_sections(&secs)
        } else if let Some((_, v)) = plain.iter().find(|(n, _)| *n == name) {
            encoded_words::decode(v, fallback)
        } else {
            continue;
        };
        out.push(Param { name, value });
    }
    out
}

/// `name*3*` → (`name`, Some((3, true))); `name*` → (`name`, Some((0, true))).
fn split_2231_name(name: &str) -> (&str, Option<(u32, bool)>) {
    let Some(star) = name.find('*') else {
        return (name, None);
    };
    let base = &name[..star];
    let rest = &name[star + 1..];
    if rest.is_empty() {
        return (base, Some((0, true)));
    }
    let (num, ext) = match rest.strip_suffix('*') {
        Some(n) => (n, true),
        None => (rest, false),
    };
    match num.parse::<u32>() {
        Ok(n) => (base, Some((n, ext))),
        Err(_) => (name, None),
    }
}

fn decode_sections(secs: &[Section]) -> String {
    let mut charset: Option<String> = None;
    let mut bytes = Vec::new();
    for (i, (_, ext, v)) in secs.iter().enumerate() {
        let mut v: &[u8] = v;
        if i == 0 && *ext {
            // RFC 2231 §4: charset'language'value
            let mut it = v.splitn(3, |&c| c == b'\'');
            if let (Some(cs), Some(_lang), Some(rest)) = (it.next(), it.next(), it.next()) {
                charset = Some(String::from_utf8_lossy(cs).into_owned());
                v = rest;
            }
        }
        if *ext {
            percent_decode(v, &mut bytes);
        } else {
            bytes.extend_from_slice(v);
        }
    }
    match charset.as_deref().filter(|c| !c.is_empty()) {
        Some(cs) => encoded_words::to_string(&bytes, Some(cs)),
        None => encoded_words::raw_to_string(&bytes, None),
    }
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'%'
            && let Some(b) = v.get(i + 1..i + 3).and_then(encoded_words::hex_pair)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<Param> {
        pairs
            .iter()
            .map(|(n, v)| Param {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect()
    }

    #[test]
    fn table() {
        let table: &[(&[u8], &str, Vec<Param>)] = &[
            (
                b"Text/Plain; charset=US-ASCII",
                "text/plain",
                p(&[("charset", "US-ASCII")]),
            ),
            (
                b"multipart/mixed; boundary=\"a;b\\\"c\" (comment)",
                "multipart/mixed",
                p(&[("boundary", "a;b\"c")]),
            ),
            (
                b"attachment; filename*0*=utf-8''caf%C3%A9; filename*1=.txt",
                "attachment",
                p(&[("filename", "caf\u{e9}.txt")]),
            ),
            (
                b"attachment; filename*=iso-8859-1'en'%E9t%E9",
                "attachment",
                p(&[("filename", "\u{e9}t\u{e9}")]),
            ),
            (
                b"inline; filename=\"=?utf-8?q?x=C3=A9?=\"",
                "inline",
                p(&[("filename", "x\u{e9}")]),
            ),
            (
                b"text/plain;;junk; a=1; A=2",
                "text/plain",
                p(&[("a", "1")]),
            ),
            (b"", "", vec![]),
            (
                b"multipart/mixed\tboundary=\"b\"",
                "multipart/mixed",
                p(&[("boundary", "b")]),
            ),
        ];
        for (input, main, params) in table {
            let (m, ps) = parse(input, None);
            assert_eq!(&m, main);
            assert_eq!(&ps, params, "{}", String::from_utf8_lossy(input));
        }
    }
}
