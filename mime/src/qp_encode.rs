//! The quoted-printable layout of a `Transfer::QuotedPrintable` segment: one deterministic
//! encoder per [`QpLayout`], the only one the reader uses, so that the ingest side can check
//! while streaming that a body is exactly what this encoder writes (and keep the original bytes
//! when it is not).
//!
//! Rules (RFC 2045 §6.7), for decoded bytes `d` and a maximum line length `line_len` (encoded
//! characters per line, a soft break's `=` included; at least 4):
//! - `d` is cut into lines at each CRLF; each CRLF becomes a hard line break (CRLF or LF in the
//!   encoded text, per `crlf`). Nothing follows the last CRLF unless `soft_end`.
//! - Bytes 33..=126 except `=` are written as they are, unless `escape` names them (needless
//!   escapes some encoders write, e.g. `=22` for `"`, `=09` for every tab); so are space and
//!   tab, except as the last byte of a decoded line that is not followed by a soft break, where
//!   they are escaped (rule 3: no trailing whitespace) unless `trailing_ws`. Every other byte is `=XY` with
//!   upper-case hex (rule 1). So a CR or LF that is not part of a CRLF pair is always escaped.
//! - Folding: a character or escape goes on the current line when the line, with the `=` a soft
//!   break after it would need, stays within `line_len` (with `overhang`, an escape counts
//!   one column there, as if only its `=` had to fit; with `word_wrap` and `space_hangs`, a
//!   literal space or tab needs no room for the `=` after it, and a trailing space is never
//!   kept with a soft break). With `lookahead` that `=` is counted
//!   only when more of the decoded line follows; without, always. When it does not fit, a soft
//!   break comes first: right there, or with `word_wrap` after the line's last literal space or
//!   tab (what follows it moves to the next line; if the character still does not fit there, a
//!   plain break follows). With `word_wrap`, a line's trailing space or tab whose escape does
//!   not fit is written as it is with a soft break after it (RFC 2045 §6.7 rule 3 allows both),
//!   so an empty line follows. With `lf_break`, a soft break follows each escaped LF that does
//!   not end the decoded line.
//! - With `soft_end`, the last line (possibly empty) is followed by a soft break: the segment
//!   ends where the original body had a soft line break and the next segment goes on from
//!   column 0. Otherwise, with `final_eol`, a line ending follows that stands for no decoded
//!   bytes: a body's last line break belongs to the multipart delimiter after it (RFC 2046
//!   §5.1.1), so the decoded bytes are the attachment as base64 would carry it.
//!
//! Every encoded line depends only on the decoded bytes from its own start, so a body cut at
//! encoded line boundaries re-encodes piece by piece to the same bytes.

use eider_model::QpLayout;

/// Smallest line length the encoder honours (an escape and a soft break).
const MIN_LINE: usize = 4;

/// Whether `b` may stand for itself anywhere on a line (RFC 2045 §6.7 rule 2).
pub(crate) fn is_literal(b: u8) -> bool {
    (33..=126).contains(&b) && b != b'='
}

/// Whether `layout` escapes the printable byte `b` needlessly.
pub(crate) fn escapes(layout: &QpLayout, b: u8) -> bool {
    b < 128 && (layout.escape >> b) & 1 == 1
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Appends `decoded` written as quoted-printable with `layout` to `out`; see the module doc.
pub fn encode_qp_into(decoded: &[u8], layout: &QpLayout, out: &mut Vec<u8>) {
    let eol: &[u8] = if layout.crlf { b"\r\n" } else { b"\n" };
    let mut rest = decoded;
    loop {
        let hard = memchr::memmem::find(rest, b"\r\n");
        let line = match hard {
            Some(i) => &rest[..i],
            None => rest,
        };
        let cont = hard.is_none() && layout.soft_end;
        if hard.is_none() && line.is_empty() && !layout.soft_end {
            if layout.final_eol {
                out.extend_from_slice(eol);
            }
            return;
        }
        encode_line(line, layout, eol, cont, out);
        match hard {
            Some(i) => {
                out.extend_from_slice(eol);
                rest = &rest[i + 2..];
            }
            None => {
                if layout.soft_end {
                    out.push(b'=');
                    out.extend_from_slice(eol);
                } else if layout.final_eol {
                    out.extend_from_slice(eol);
                }
                return;
            }
        }
    }
}

/// `decoded` written as quoted-printable with `layout`.
pub fn encode_qp(decoded: &[u8], layout: &QpLayout) -> Vec<u8> {
    let mut out = Vec::with_capacity(decoded.len() + decoded.len() / 8 + 8);
    encode_qp_into(decoded, layout, &mut out);
    out
}

/// One decoded line (no CRLF inside); `cont`: a soft break follows it.
fn encode_line(line: &[u8], layout: &QpLayout, eol: &[u8], cont: bool, out: &mut Vec<u8>) {
    let max = (layout.line_len as usize).max(MIN_LINE);
    let mut col = 0usize;
    // Where in `out` the current line's last literal space or tab ends.
    let mut after_ws: Option<usize> = None;
    for (i, &b) in line.iter().enumerate() {
        let at_end = i + 1 == line.len();
        let ws = b == b' ' || b == b'\t';
        let literal = (is_literal(b) || (ws && (!at_end || cont || layout.trailing_ws)))
            && !escapes(layout, b);
        let width = if literal { 1 } else { 3 };
        let fit_width = if layout.overhang { 1 } else { width };
        let more = usize::from(!layout.lookahead || !at_end || cont);
        let hangs = layout.space_hangs && layout.word_wrap && literal && ws;
        let fits = |col: usize| col == 0 || col + fit_width + more <= max || (hangs && col < max);
        // Trailing whitespace whose escape does not fit is protected by a soft break instead
        // (word wrap); checked again after a fold moved a word down.
        let keep_ws = |col: usize| {
            let kept = layout.word_wrap && !layout.space_hangs;
            !literal && ws && !escapes(layout, b) && kept && col + 2 <= max
        };
        if !fits(col) && keep_ws(col) {
            out.extend_from_slice(&[b, b'=']);
            out.extend_from_slice(eol);
            return;
        }
        if !fits(col) {
            match after_ws.filter(|&p| layout.word_wrap && p < out.len()) {
                Some(p) => {
                    // Everything after the space is ASCII: its length is its width.
                    col = out.len() - p;
                    out.splice(p..p, [b'='].iter().chain(eol).copied());
                    if !fits(col) && keep_ws(col) {
                        out.extend_from_slice(&[b, b'=']);
                        out.extend_from_slice(eol);
                        return;
                    }
                    if !fits(col) {
                        out.push(b'=');
                        out.extend_from_slice(eol);
                        col = 0;
                    }
                }
                None => {
                    out.push(b'=');
                    out.extend_from_slice(eol);
                    col = 0;
                }
            }
            after_ws = None;
        }
        if literal {
            out.push(b);
            if ws {
                after_ws = Some(out.len());
            }
        } else {
            out.extend_from_slice(&[b'=', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
        col += width;
        if b == b'\n' && layout.lf_break && !at_end {
            out.push(b'=');
            out.extend_from_slice(eol);
            col = 0;
            after_ws = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(line_len: u32, crlf: bool, soft_end: bool, final_eol: bool) -> QpLayout {
        QpLayout::greedy(line_len, crlf, soft_end, final_eol)
    }

    #[test]
    fn encoder_table() {
        // (decoded, line_len, crlf, soft_end, encoded); final_eol is checked below.
        type Case = (&'static [u8], u32, bool, bool, &'static [u8]);
        let table: &[Case] = &[
            (b"", 76, true, false, b""),
            (b"", 76, true, true, b"=\r\n"),
            (b"abc", 76, true, false, b"abc"),
            (b"abc\r\n", 76, true, false, b"abc\r\n"),
            (b"abc\r\n", 76, false, false, b"abc\n"),
            (b"a=b", 76, true, false, b"a=3Db"),
            (b"caf\xe9\r\n", 76, true, false, b"caf=E9\r\n"),
            // Trailing whitespace before a hard break or the end is escaped (rule 3)...
            (b"end \r\ntab\t", 76, true, false, b"end=20\r\ntab=09"),
            // ...but not before a soft break, nor inside the line.
            (b"a b ", 76, true, true, b"a b =\r\n"),
            // A lone CR or LF is escaped; CRLF is a hard break.
            (b"a\rb\nc\r\r\n", 76, true, false, b"a=0Db=0Ac=0D\r\n"),
            // Folding: each line holds at most line_len characters with its `=`.
            (b"abcdefgh", 4, true, false, b"abc=\r\ndef=\r\ngh"),
            (b"abcd", 4, true, false, b"abcd"),
            (b"abcde", 4, false, false, b"abc=\nde"),
            // An escape that does not fit with its `=` moves to the next line.
            (b"abcd\xff", 6, true, false, b"abcd=\r\n=FF"),
            (b"abc\xff", 6, true, false, b"abc=FF"),
            (b"ab\xff\xff", 6, true, false, b"ab=FF=\r\n=FF"),
            (b"ab\xffcd", 6, true, false, b"ab=FF=\r\ncd"),
        ];
        for (dec, ll, crlf, soft, enc) in table {
            let got = encode_qp(dec, &layout(*ll, *crlf, *soft, false));
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(enc),
                "{:?}",
                String::from_utf8_lossy(dec)
            );
            // final_eol adds one line ending unless a soft break ends the text.
            let with = encode_qp(dec, &layout(*ll, *crlf, *soft, true));
            let mut want = got.clone();
            if !*soft {
                want.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
            }
            assert_eq!(with, want);
        }
    }

    #[test]
    fn lines_stay_within_the_limit() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 37 % 256) as u8).collect();
        for (ll, lookahead, word_wrap) in [
            (4u32, true, false),
            (10, false, true),
            (76, true, true),
            (200, false, false),
        ] {
            let l = QpLayout {
                lookahead,
                word_wrap,
                ..layout(ll, true, false, true)
            };
            let enc = encode_qp(&data, &l);
            for line in enc.split(|&c| c == b'\n') {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                assert!(line.len() <= ll as usize, "{ll}: {}", line.len());
            }
        }
    }

    #[test]
    fn byte_rules() {
        // (decoded, line_len, word_wrap, trailing_ws, escaped bytes, encoded)
        type Case = (&'static [u8], u32, bool, bool, &'static [u8], &'static [u8]);
        let table: &[Case] = &[
            // Trailing whitespace as it is, before a hard break and at the end.
            (b"a \r\nb\t", 76, false, true, b"", b"a \r\nb\t"),
            (b"a \r\nb\t", 76, false, false, b"", b"a=20\r\nb=09"),
            // A trailing space as it is needs no soft break to protect it (word wrap).
            (b"abcd \r\nd", 6, true, true, b"", b"abcd \r\nd"),
            (b"abcde \r\nd", 6, true, true, b"", b"abcde \r\nd"),
            (b"abcde \r\nd", 5, true, true, b"", b"abcd=\r\ne \r\nd"),
            // Needless escapes take three columns and fold like any escape.
            (b"\"a\" b.", 76, false, false, b"\".", b"=22a=22 b=2E"),
            (b"ab\"c", 5, false, false, b"\"", b"ab=\r\n=22c"),
            // Overhang is below; `=` is always escaped; a tab in the set is escaped everywhere.
            (b"a = b", 76, false, false, b"=", b"a =3D b"),
            (b"a\tb\t\r\nc ", 76, false, true, b"\t", b"a=09b=09\r\nc "),
        ];
        for (dec, ll, word_wrap, trailing_ws, esc, enc) in table {
            let l = QpLayout {
                word_wrap: *word_wrap,
                trailing_ws: *trailing_ws,
                escape: esc.iter().fold(0, |m, &b| m | (1u128 << b)),
                ..layout(*ll, true, false, false)
            };
            let got = encode_qp(dec, &l);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(enc),
                "{:?} {l:?}",
                String::from_utf8_lossy(dec)
            );
        }
    }

    #[test]
    fn soft_break_after_escaped_lf() {
        let l = QpLayout {
            lf_break: true,
            ..layout(76, true, false, false)
        };
        assert_eq!(
            encode_qp(b"a\nb\n\nc\n", &l),
            b"a=0A=\r\nb=0A=\r\n=0A=\r\nc=0A"
        );
        assert_eq!(encode_qp(b"a\n\r\nb", &l), b"a=0A\r\nb");
    }

    #[test]
    fn folding_variants() {
        // (decoded, line_len, lookahead, word_wrap, encoded)
        type Case = (&'static [u8], u32, bool, bool, &'static [u8]);
        let table: &[Case] = &[
            // Without lookahead the last character leaves room for a `=` it does not need.
            (b"abcd", 4, true, false, b"abcd"),
            (b"abcd", 4, false, false, b"abc=\r\nd"),
            (b"abc", 4, false, false, b"abc"),
            // Word wrap: the break goes after the last space; the word moves down.
            (b"aa bbb", 5, true, true, b"aa =\r\nbbb"),
            (b"aa bbb", 5, true, false, b"aa b=\r\nbb"),
            (b"a b cc dd", 7, true, true, b"a b =\r\ncc dd"),
            // No space on the line: a plain break.
            (b"aaaaaaa", 5, true, true, b"aaaa=\r\naaa"),
            // The moved word and the next character still do not fit: a plain break too.
            (b"a bbbbbbb", 5, true, true, b"a =\r\nbbbb=\r\nbbb"),
            // Trailing space: escaped where it fits, else kept with a soft break (word wrap).
            (b"abc \r\nd", 6, true, true, b"abc=20\r\nd"),
            (b"abcd \r\nd", 6, true, true, b"abcd =\r\n\r\nd"),
            (b"abcd \r\nd", 6, true, false, b"abcd=\r\n=20\r\nd"),
        ];
        // (decoded, line_len, encoded) with overhang: an escape goes on the line when its
        // first character (and a soft break's `=`) fits.
        let overhang: &[(&[u8], u32, &[u8])] = &[
            (b"abcd\xff", 6, b"abcd=FF"),
            (b"abcde\xffg", 6, b"abcde=\r\n=FFg"),
            (b"abc\xff\xffg", 6, b"abc=FF=\r\n=FFg"),
            (b"abcdefg\xffh", 5, b"abcd=\r\nefg=FF=\r\nh"),
        ];
        for (dec, ll, enc) in overhang {
            let l = QpLayout {
                overhang: true,
                ..layout(*ll, true, false, false)
            };
            let got = encode_qp(dec, &l);
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(enc));
        }
        // (decoded, line_len, encoded) with word wrap and hanging spaces: a space needs no
        // room for the `=` after it; a trailing space whose escape does not fit is not kept.
        let hanging: &[(&[u8], u32, &[u8])] = &[
            (b"abcd efg", 5, b"abcd =\r\nefg"),
            (b"abcdefgh ij", 5, b"abcd=\r\nefgh =\r\nij"),
            (b"ab cd \r\nx", 6, b"ab =\r\ncd=20\r\nx"),
            (b"abcd \r\nx", 6, b"abcd=\r\n=20\r\nx"),
        ];
        for (dec, ll, enc) in hanging {
            let l = QpLayout {
                word_wrap: true,
                space_hangs: true,
                ..layout(*ll, true, false, false)
            };
            let got = encode_qp(dec, &l);
            assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(enc));
        }
        for (dec, ll, lookahead, word_wrap, enc) in table {
            let l = QpLayout {
                lookahead: *lookahead,
                word_wrap: *word_wrap,
                ..layout(*ll, true, false, false)
            };
            let got = encode_qp(dec, &l);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(enc),
                "{:?} {l:?}",
                String::from_utf8_lossy(dec)
            );
        }
    }
}
