//! Low-level writers for response syntax (RFC 3501 §4, RFC 6855 §3): atoms, quoted strings,
//! literals, literal8, NIL, astrings and mailbox names.
//!
//! Invariant: what is written always parses back to the same bytes. A quoted string is used only
//! when it is safe (no CR, LF or NUL, 8-bit only when UTF-8 is enabled, not too long); anything
//! else becomes a literal, and data containing NUL becomes literal8.

use super::super::cursor::is_astring_char;
use super::super::mailbox;

/// Longest value we send quoted; longer values go as literals, which clients parse cheaply.
const MAX_QUOTED: usize = 1024;

/// Whether `b` may be sent as a quoted string.
pub fn quotable(b: &[u8], utf8: bool) -> bool {
    b.len() <= MAX_QUOTED
        && b.iter()
            .all(|&c| !matches!(c, 0 | b'\r' | b'\n') && (c < 0x80 || utf8))
        && (!utf8 || std::str::from_utf8(b).is_ok())
}

/// `"..."` with `"` and `\` escaped; the caller has checked [`quotable`].
pub fn quoted(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b'"');
    for &c in b {
        if c == b'"' || c == b'\\' {
            out.push(b'\\');
        }
        out.push(c);
    }
    out.push(b'"');
}

/// A literal header `{n}\r\n` (the caller writes the n bytes, possibly streamed).
pub fn literal_prefix(out: &mut Vec<u8>, len: u64) {
    out.extend_from_slice(format!("{{{len}}}\r\n").as_bytes());
}

/// A literal8 header `~{n}\r\n` (RFC 3516), for data that may contain NUL.
pub fn literal8_prefix(out: &mut Vec<u8>, len: u64) {
    out.extend_from_slice(format!("~{{{len}}}\r\n").as_bytes());
}

/// `string`: quoted when safe, a literal otherwise (literal8 when the data holds NUL).
pub fn string(out: &mut Vec<u8>, b: &[u8], utf8: bool) {
    if quotable(b, utf8) {
        quoted(out, b);
    } else if b.contains(&0) {
        literal8_prefix(out, b.len() as u64);
        out.extend_from_slice(b);
    } else {
        literal_prefix(out, b.len() as u64);
        out.extend_from_slice(b);
    }
}

/// `nstring`: `NIL` or a string.
pub fn nstring(out: &mut Vec<u8>, b: Option<&[u8]>, utf8: bool) {
    match b {
        Some(b) => string(out, b, utf8),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// `astring`: a bare atom when possible (never `NIL`, which would read as nil), else a string.
pub fn astring(out: &mut Vec<u8>, b: &[u8], utf8: bool) {
    if !b.is_empty()
        && b.iter().all(|&c| c < 0x80 && is_astring_char(c))
        && !b.eq_ignore_ascii_case(b"NIL")
    {
        out.extend_from_slice(b);
    } else {
        string(out, b, utf8);
    }
}

/// A mailbox name from a store path: mUTF-7 unless UTF-8 is enabled (RFC 6855 §3), then as an
/// astring (always quoted when it is INBOX-free text with specials).
pub fn mailbox_name(out: &mut Vec<u8>, path: &str, utf8: bool) {
    let wire = mailbox::encode(path, utf8);
    astring(out, &wire, utf8);
}

/// Header text for a client without UTF8=ACCEPT (RFC 6855 §5 / RFC 6857 §3): ASCII passes;
/// valid UTF-8 becomes RFC 2047 encoded words (`=?utf-8?B?...?=`, each at most 75 characters,
/// never splitting a character); other 8-bit bytes are left for a literal.
pub fn downgrade(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use base64::Engine;
    use std::borrow::Cow;
    if b.is_ascii() {
        return Cow::Borrowed(b);
    }
    let Ok(s) = std::str::from_utf8(b) else {
        return Cow::Borrowed(b);
    };
    // 75 - len("=?utf-8?B?") - len("?=") = 63 base64 characters, i.e. at most 45 bytes.
    const MAX_BYTES: usize = 45;
    let mut words: Vec<String> = Vec::new();
    let mut chunk = String::new();
    for ch in s.chars() {
        if chunk.len() + ch.len_utf8() > MAX_BYTES {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(ch);
    }
    words.push(chunk);
    let encoded: Vec<String> = words
        .iter()
        .map(|w| {
            format!(
                "=?utf-8?B?{}?=",
                base64::engine::general_purpose::STANDARD.encode(w)
            )
        })
        .collect();
    Cow::Owned(encoded.join(" ").into_bytes())
}

/// `nstring` for header-derived text: sent as UTF-8 when enabled, else [`downgrade`]d.
pub fn header_nstring(out: &mut Vec<u8>, b: Option<&[u8]>, utf8: bool) {
    match b {
        Some(b) if !utf8 => string(out, &downgrade(b), false),
        other => nstring(out, other, utf8),
    }
}

/// Human-readable response text: CR and LF would end the response early, so they become spaces.
pub fn text(out: &mut Vec<u8>, t: &str) {
    out.extend(
        t.bytes()
            .map(|c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8_lossy(&v).into_owned()
    }

    /// Every string we write reads back as the same bytes (quoted, literal or literal8).
    #[test]
    fn roundtrip_through_the_parser() {
        use crate::proto::cursor::Cursor;
        let alphabet: &[u8] = b"aZ0 \"\\(){}*%]\r\n\0\x7f\xc3\xa9\xff~+";
        let mut seed: u64 = 7;
        for _ in 0..3000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 58) as usize;
            let input: Vec<u8> = (0..len)
                .map(|i| alphabet[((seed >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            for utf8 in [false, true] {
                let mut out = Vec::new();
                string(&mut out, &input, utf8);
                let mut c = Cursor::new(&out);
                let back = if out.first() == Some(&b'~') {
                    c.literal(true).map(<[u8]>::to_vec)
                } else {
                    c.string()
                };
                assert_eq!(back.as_deref(), Ok(&input[..]), "{input:?}");
                assert!(c.at_end());
                let mut out = Vec::new();
                astring(&mut out, &input, utf8);
                if !input.contains(&0) {
                    assert_eq!(
                        Cursor::new(&out).astring().as_deref(),
                        Ok(&input[..]),
                        "{input:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn strings_table() {
        let cases: &[(&[u8], bool, &str)] = &[
            (b"abc", false, "\"abc\""),
            (b"a\"b\\c", false, "\"a\\\"b\\\\c\""),
            (b"", false, "\"\""),
            (b"a\r\nb", false, "{4}\r\na\r\nb"),
            ("é".as_bytes(), false, "{2}\r\né"),
            ("é".as_bytes(), true, "\"é\""),
            (b"\xff", true, "{1}\r\n\u{fffd}"),
            (b"a\0b", false, "~{3}\r\na\0b"),
        ];
        for (input, utf8, want) in cases {
            assert_eq!(w(|o| string(o, input, *utf8)), *want, "{input:?}");
        }
        assert_eq!(w(|o| nstring(o, None, false)), "NIL");
        assert_eq!(w(|o| astring(o, b"INBOX", false)), "INBOX");
        assert_eq!(w(|o| astring(o, b"nil", false)), "\"nil\"");
        assert_eq!(w(|o| astring(o, b"a b", false)), "\"a b\"");
        assert_eq!(w(|o| astring(o, b"", false)), "\"\"");
        assert_eq!(w(|o| mailbox_name(o, "Entwürfe", false)), "Entw&APw-rfe");
        assert_eq!(w(|o| mailbox_name(o, "Entwürfe", true)), "\"Entwürfe\"");
        assert_eq!(w(|o| mailbox_name(o, "a*b", false)), "\"a*b\"");
        assert_eq!(w(|o| text(o, "x\r\ny")), "x  y");
        assert_eq!(&*downgrade(b"plain =?x?Q?y?="), b"plain =?x?Q?y?=");
        assert_eq!(&*downgrade("Grüße".as_bytes()), b"=?utf-8?B?R3LDvMOfZQ==?=");
        assert_eq!(&*downgrade(b"caf\xe9"), b"caf\xe9");
        let long = "é".repeat(40);
        let d = String::from_utf8(downgrade(long.as_bytes()).into_owned()).unwrap();
        assert!(
            d.split(' ')
                .all(|w| w.len() <= 75 && w.starts_with("=?utf-8?B?")),
            "{d}"
        );
        assert_eq!(
            w(|o| header_nstring(o, Some("é".as_bytes()), true)),
            "\"é\""
        );
        assert_eq!(
            w(|o| header_nstring(o, Some("é".as_bytes()), false)),
            "\"=?utf-8?B?w6k=?=\""
        );
        let long = vec![b'a'; 2000];
        assert!(w(|o| string(o, &long, false)).starts_with("{2000}\r\n"));
    }
}
