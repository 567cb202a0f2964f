//! RFC 2047 encoded words and charset conversion of header text.
//!
//! Owns turning raw header bytes into display text: encoded words (`=?cs?B|Q?text?=`) are
//! decoded (adjacent words of one charset joined before conversion so split multi-byte
//! characters survive; whitespace between encoded words dropped, RFC 2047 §6.2), raw 8-bit
//! bytes are taken as UTF-8 when valid and otherwise converted from a fallback charset.
//! Invalid bytes become U+FFFD; unknown charsets are read as UTF-8 (lossy).

use encoding_rs::Encoding;

/// The encoding for a MIME charset label (`*language` suffix of RFC 2231 §5 ignored).
pub(crate) fn encoding_for(label: &str) -> Option<&'static Encoding> {
    let label = label.split('*').next().unwrap_or(label).trim();
    Encoding::for_label(label.as_bytes())
}

/// Converts bytes in `charset` (or UTF-8 when unknown) to a string, replacing invalid bytes.
pub(crate) fn to_string(bytes: &[u8], charset: Option<&str>) -> String {
    match charset.and_then(encoding_for) {
        Some(enc) => enc.decode_without_bom_handling(bytes).0.into_owned(),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Raw header bytes without encoded words: UTF-8 if valid, else `fallback` (Windows-1252 when
/// none is known, the usual charset of unlabelled 8-bit mail).
pub(crate) fn raw_to_string(bytes: &[u8], fallback: Option<&str>) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => to_string(bytes, Some(fallback.unwrap_or("windows-1252"))),
    }
}

struct Word<'a> {
    charset: &'a str,
    bytes: Vec<u8>,
    /// Bytes consumed from the input.
    len: usize,
}

/// Parses an encoded word at the start of `s`.
fn parse_word(s: &[u8]) -> Option<Word<'_>> {
    let rest = s.strip_prefix(b"=?")?;
    let q1 = memchr::memchr(b'?', rest)?;
    let charset = std::str::from_utf8(&rest[..q1]).ok()?;
    let enc = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') || charset.is_empty() {
        return None;
    }
    let text_start = q1 + 3;
    let end = memchr::memmem::find(&rest[text_start..], b"?=")? + text_start;
    let text = &rest[text_start..end];
    if text.contains(&b'\n') {
        return None;
    }
    let bytes = match enc.to_ascii_lowercase() {
        b'b' => {
            let mut out = Vec::new();
            super::base64::LenientB64::default().feed(text, &mut out);
            out
        }
        b'q' => decode_q(text),
        _ => return None,
    };
    Some(Word {
        charset,
        bytes,
        len: 2 + end + 2,
    })
}

fn decode_q(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' => {
                if let Some(b) = text.get(i + 1..i + 3).and_then(hex_pair) {
                    out.push(b);
                    i += 2;
                } else {
                    out.push(b'=');
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

pub(crate) fn hex_pair(h: &[u8]) -> Option<u8> {
    let d = |c: u8| (c as char).to_digit(16);
    Some((d(*h.first()?)? * 16 + d(*h.get(1)?)?) as u8)
}

/// Decodes a header value (already unfolded) to display text.
pub fn decode(value: &[u8], fallback: Option<&str>) -> String {
    let mut out = String::new();
    let mut raw_start = 0;
    let mut i = 0;
    // Pending decoded bytes of adjacent encoded words sharing one charset.
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut last_word_end: Option<usize> = None;
    while i < value.len() {
        if value[i] == b'='
            && value.get(i + 1) == Some(&b'?')
            && let Some(w) = parse_word(&value[i..])
        {
            let between = &value[raw_start..i];
            let adjacent = last_word_end.is_some()
                && between
                    .iter()
                    .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'));
            if !adjacent {
                flush(&mut out, &mut pending);
                out.push_str(&raw_to_string(between, fallback));
            }
            match &mut pending {
                // Join only when the pending bytes end mid-character (a multi-byte character
                // split across words); complete words stay apart (ISO-2022-JP words each
                // return to ASCII, and joining them would put two escapes back to back).
                Some((cs, bytes))
                    if cs.eq_ignore_ascii_case(w.charset) && !decodes_cleanly(cs, bytes) =>
                {
                    bytes.extend_from_slice(&w.bytes)
                }
                _ => {
                    flush(&mut out, &mut pending);
                    pending = Some((w.charset.to_string(), w.bytes));
                }
            }
            i += w.len;
            raw_start = i;
            last_word_end = Some(i);
            continue;
        }
        i += 1;
    }
    flush(&mut out, &mut pending);
    out.push_str(&raw_to_string(&value[raw_start..], fallback));
    out
}

fn decodes_cleanly(charset: &str, bytes: &[u8]) -> bool {
    match encoding_for(charset) {
        Some(enc) => enc
            .decode_without_bom_handling_and_without_replacement(bytes)
            .is_some(),
        None => std::str::from_utf8(bytes).is_ok(),
    }
}

fn flush(out: &mut String, pending: &mut Option<(String, Vec<u8>)>) {
    if let Some((cs, bytes)) = pending.take() {
        out.push_str(&to_string(&bytes, Some(&cs)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let table: &[(&[u8], &str)] = &[
            (b"plain text", "plain text"),
            (b"=?utf-8?q?caf=C3=A9?=", "caf\u{e9}"),
            (b"=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", "ab"),
            (b"=?ISO-8859-1?Q?a?= x =?ISO-8859-1?Q?b?=", "a x b"),
            (b"=?utf-8?B?w6k=?=", "\u{e9}"),
            (b"=?utf-8?B?4oK=?= =?utf-8?B?rA==?=", "\u{20ac}"),
            (b"pre =?utf-8?q?x_y?= post", "pre x y post"),
            (b"=?bogus?q?abc?=", "abc"),
            (b"=?utf-8?x?abc?=", "=?utf-8?x?abc?="),
            (b"caf\xe9", "caf\u{e9}"),
            (b"=?utf-8*en?q?hi?=", "hi"),
            (
                b"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\r\n  =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=",
                "\u{30c6}\u{30b9}\u{30c8}\u{30c6}\u{30b9}\u{30c8}",
            ),
            (b"broken =?utf-8?q?abc", "broken =?utf-8?q?abc"),
        ];
        for (input, want) in table {
            assert_eq!(
                decode(input, None),
                *want,
                "{}",
                String::from_utf8_lossy(input)
            );
        }
    }
}
