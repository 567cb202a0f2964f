//! Address lists (RFC 5322 §3.4, with the obsolete forms of §4.4) into IMAP envelope addresses
//! (RFC 3501 §7.4.2), and the ENVELOPE of a header block.
//!
//! Lenient: comments are dropped (except that a bare `addr (Name)` takes its comment as the
//! display name), a missing local part or domain becomes `MISSING_MAILBOX` /
//! `MISSING_DOMAIN` (as Dovecot does), a group missing its `;` is closed at the end. Values stay
//! raw bytes (no RFC 2047 decoding), as ENVELOPE carries them.

use super::headers::{RawField, first};
use eider_model::{Envelope, EnvelopeAddress};

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Atom(Vec<u8>),
    Quoted(Vec<u8>),
    Special(u8),
    /// A comment's text: the display name of a bare `addr (Name)`, ignored elsewhere.
    Comment(Vec<u8>),
}

fn tokenize(v: &[u8]) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        let c = v[i];
        match c {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'(' => {
                let mut depth = 0;
                let start = i;
                while i < v.len() {
                    match v[i] {
                        b'\\' => i += 1,
                        b'(' => depth += 1,
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    i += 1;
                }
                let text = v.get(start + 1..i.min(v.len())).unwrap_or_default();
                out.push(Tok::Comment(text.trim_ascii().to_vec()));
                i += 1;
            }
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                while i < v.len() && v[i] != b'"' {
                    if v[i] == b'\\' && i + 1 < v.len() {
                        i += 1;
                    }
                    s.push(v[i]);
                    i += 1;
                }
                i += 1;
                out.push(Tok::Quoted(s));
            }
            b'<' | b'>' | b':' | b';' | b',' | b'@' => {
                out.push(Tok::Special(c));
                i += 1;
            }
            _ => {
                let start = i;
                while i < v.len() && !b" \t\r\n()\"<>:;,@".contains(&v[i]) {
                    i += 1;
                }
                out.push(Tok::Atom(v[start..i].to_vec()));
            }
        }
    }
    out
}

/// Joins words of a phrase with single spaces.
fn phrase(toks: &[Tok]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for t in toks {
        let w = match t {
            Tok::Atom(a) | Tok::Quoted(a) => a,
            Tok::Special(c) => {
                out.push(*c);
                continue;
            }
            Tok::Comment(_) => continue,
        };
        if !out.is_empty() {
            out.push(b' ');
        }
        out.extend_from_slice(w);
    }
    (!out.is_empty()).then_some(out)
}

/// `local@domain` (words joined without spaces).
fn addr_spec(toks: &[Tok]) -> (Vec<u8>, Vec<u8>) {
    let at = toks.iter().rposition(|t| *t == Tok::Special(b'@'));
    let join = |ts: &[Tok]| -> Vec<u8> {
        ts.iter()
            .flat_map(|t| match t {
                Tok::Atom(a) | Tok::Quoted(a) => a.clone(),
                Tok::Special(c) => vec![*c],
                Tok::Comment(_) => Vec::new(),
            })
            .collect()
    };
    match at {
        Some(i) => (join(&toks[..i]), join(&toks[i + 1..])),
        None => (join(toks), Vec::new()),
    }
}

fn mailbox(toks: &[Tok]) -> Option<EnvelopeAddress> {
    // `addr (Name)`: the old RFC 822 convention puts the display name in a comment; with no
    // phrase, the last non-empty comment is the name (as Dovecot and UW-IMAP answer).
    let comment = toks.iter().rev().find_map(|t| match t {
        Tok::Comment(c) if !c.is_empty() => Some(c.clone()),
        _ => None,
    });
    let toks: Vec<Tok> = toks
        .iter()
        .filter(|t| !matches!(t, Tok::Comment(_)))
        .cloned()
        .collect();
    let toks = &toks[..];
    if toks.is_empty() {
        return None;
    }
    let lt = toks.iter().position(|t| *t == Tok::Special(b'<'));
    let (name, mut spec) = match lt {
        Some(i) => {
            let end = toks[i..]
                .iter()
                .position(|t| *t == Tok::Special(b'>'))
                .map_or(toks.len(), |e| i + e);
            (phrase(&toks[..i]), &toks[i + 1..end])
        }
        // A lone quoted phrase (`To: "Mary Smith"`) is a name without an address, as Dovecot
        // reads it: the address parts become the MISSING_ placeholders below.
        None if matches!(toks.first(), Some(Tok::Quoted(_)))
            && !toks.contains(&Tok::Special(b'@')) =>
        {
            (phrase(toks), &toks[toks.len()..])
        }
        None => (comment, toks),
    };
    let mut adl = None;
    if let Some(c) = spec.iter().rposition(|t| *t == Tok::Special(b':')) {
        adl = phrase(&spec[..c]).map(|a| a.into_iter().filter(|&b| b != b' ').collect());
        spec = &spec[c + 1..];
    }
    let (local, domain) = addr_spec(spec);
    if local.is_empty() && domain.is_empty() && name.is_none() {
        return None;
    }
    let or = |v: Vec<u8>, d: &[u8]| if v.is_empty() { d.to_vec() } else { v };
    Some(EnvelopeAddress {
        name,
        adl,
        mailbox: Some(or(local, b"MISSING_MAILBOX")),
        host: Some(or(domain, b"MISSING_DOMAIN")),
    })
}

/// Parses an address list, groups included (RFC 3501 §7.4.2 group markers).
pub(crate) fn parse_list(v: &[u8]) -> Vec<EnvelopeAddress> {
    let toks = tokenize(v);
    let mut out = Vec::new();
    let mut cur: Vec<Tok> = Vec::new();
    let (mut in_angle, mut in_group) = (false, false);
    for t in toks {
        match t {
            Tok::Special(b'<') => {
                in_angle = true;
                cur.push(t);
            }
            Tok::Special(b'>') => {
                in_angle = false;
                cur.push(t);
            }
            Tok::Special(b':') if !in_angle && !in_group => {
                out.push(EnvelopeAddress {
                    mailbox: Some(phrase(&cur).unwrap_or_default()),
                    ..Default::default()
                });
                cur.clear();
                in_group = true;
            }
            Tok::Special(b',') if !in_angle => out.extend(mailbox(&std::mem::take(&mut cur))),
            Tok::Special(b';') if !in_angle && in_group => {
                out.extend(mailbox(&std::mem::take(&mut cur)));
                out.push(EnvelopeAddress::default());
                in_group = false;
            }
            t => cur.push(t),
        }
    }
    out.extend(mailbox(&cur));
    if in_group {
        out.push(EnvelopeAddress::default());
    }
    out
}

/// The ENVELOPE of a header block; Sender and Reply-To default to From (RFC 3501 §7.4.2).
pub(crate) fn envelope(fields: &[RawField]) -> Envelope {
    let list = |n: &str| first(fields, n).map(parse_list).unwrap_or_default();
    let raw = |n: &str| first(fields, n).map(<[u8]>::to_vec);
    let from = list("from");
    let mut sender = list("sender");
    if sender.is_empty() {
        sender = from.clone();
    }
    let mut reply_to = list("reply-to");
    if reply_to.is_empty() {
        reply_to = from.clone();
    }
    Envelope {
        date: raw("date"),
        subject: raw("subject"),
        from,
        sender,
        reply_to,
        to: list("to"),
        cc: list("cc"),
        bcc: list("bcc"),
        in_reply_to: raw("in-reply-to"),
        message_id: raw("message-id"),
    }
}

/// Message ids (`<...>` contents) in a field value; a value without brackets counts as one id.
pub(crate) fn msg_ids(v: &[u8]) -> Vec<String> {
    let v = super::params::strip_comments(v);
    let mut out = Vec::new();
    let mut rest: &[u8] = &v;
    while let Some(s) = memchr::memchr(b'<', rest) {
        let Some(e) = memchr::memchr(b'>', &rest[s..]) else {
            break;
        };
        let id = rest[s + 1..s + e].trim_ascii();
        if !id.is_empty() {
            out.push(String::from_utf8_lossy(id).into_owned());
        }
        rest = &rest[s + e + 1..];
    }
    if out.is_empty() {
        let t = v.trim_ascii();
        if !t.is_empty() && !t.contains(&b' ') {
            out.push(String::from_utf8_lossy(t).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: Option<&str>, mb: Option<&str>, host: Option<&str>) -> EnvelopeAddress {
        let b = |s: Option<&str>| s.map(|s| s.as_bytes().to_vec());
        EnvelopeAddress {
            name: b(name),
            adl: None,
            mailbox: b(mb),
            host: b(host),
        }
    }

    #[test]
    fn table() {
        let table: &[(&[u8], Vec<EnvelopeAddress>)] = &[
            (b"a@b.c", vec![a(None, Some("a"), Some("b.c"))]),
            (
                b"\"Mary Kay\"",
                vec![a(
                    Some("Mary Kay"),
                    Some("MISSING_MAILBOX"),
                    Some("MISSING_DOMAIN"),
                )],
            ),
            (
                b"MAILER-DAEMON@AOL.com (Mail Delivery System), x@y ()",
                vec![
                    a(
                        Some("Mail Delivery System"),
                        Some("MAILER-DAEMON"),
                        Some("AOL.com"),
                    ),
                    a(None, Some("x"), Some("y")),
                ],
            ),
            (
                b"\"Doe, John\" <j@x.org>, Jane Roe <jr@y.org> (work)",
                vec![
                    a(Some("Doe, John"), Some("j"), Some("x.org")),
                    a(Some("Jane Roe"), Some("jr"), Some("y.org")),
                ],
            ),
            (
                b"Team: a@b, c@d;, e@f",
                vec![
                    a(None, Some("Team"), None),
                    a(None, Some("a"), Some("b")),
                    a(None, Some("c"), Some("d")),
                    a(None, None, None),
                    a(None, Some("e"), Some("f")),
                ],
            ),
            (
                b"undisclosed-recipients:;",
                vec![
                    a(None, Some("undisclosed-recipients"), None),
                    a(None, None, None),
                ],
            ),
            (
                b"<postmaster>",
                vec![a(None, Some("postmaster"), Some("MISSING_DOMAIN"))],
            ),
            (
                b"=?utf-8?q?J=C3=B6?= <j@x>",
                vec![a(Some("=?utf-8?q?J=C3=B6?="), Some("j"), Some("x"))],
            ),
            (b"", vec![]),
            (b",,", vec![]),
        ];
        for (input, want) in table {
            assert_eq!(
                &parse_list(input),
                want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        let r = parse_list(b"<@route.x:u@h>");
        assert_eq!(r[0].adl.as_deref(), Some(&b"@route.x"[..]));
    }

    #[test]
    fn ids() {
        assert_eq!(msg_ids(b"<a@b> (c) <c@d>"), vec!["a@b", "c@d"]);
        assert_eq!(msg_ids(b"bare@id"), vec!["bare@id"]);
        assert!(msg_ids(b"").is_empty());
    }
}
