//! Content-Transfer-Encoding decoders that work on a body arriving in windows (so attachments
//! are streamed, never held whole), and charset decoding of text parts.
//!
//! Invariant: feeding a body in any split and then calling `finish` yields the same bytes as
//! feeding it whole. Malformed input degrades (bad base64 quads are skipped, bad `=XX` escapes
//! are kept literally); decoding never fails.

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

#[derive(Debug)]
pub enum Decoder {
    Identity,
    Base64 { pending: Vec<u8> },
    QuotedPrintable { pending: Vec<u8> },
}

impl Decoder {
    /// The decoder for a lower-cased Content-Transfer-Encoding.
    pub fn for_encoding(encoding: &str) -> Self {
        match encoding {
            "base64" => Decoder::Base64 {
                pending: Vec::new(),
            },
            "quoted-printable" => Decoder::QuotedPrintable {
                pending: Vec::new(),
            },
            _ => Decoder::Identity,
        }
    }

    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) {
        match self {
            Decoder::Identity => out.extend_from_slice(input),
            Decoder::Base64 { pending } => {
                pending.extend(
                    input
                        .iter()
                        .copied()
                        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')),
                );
                let whole = pending.len() / 4 * 4;
                b64(&pending[..whole], out);
                pending.drain(..whole);
            }
            Decoder::QuotedPrintable { pending } => {
                pending.extend_from_slice(input);
                // Keep an escape or soft break that may continue in the next window.
                let keep = match pending.iter().rposition(|&b| b == b'=') {
                    Some(i) if pending.len() - i < 3 => pending.len() - i,
                    _ => 0,
                };
                let upto = pending.len() - keep;
                qp(&pending[..upto], out);
                pending.drain(..upto);
            }
        }
    }

    pub fn finish(&mut self, out: &mut Vec<u8>) {
        match self {
            Decoder::Identity => {}
            Decoder::Base64 { pending } => {
                b64(pending, out);
                pending.clear();
            }
            Decoder::QuotedPrintable { pending } => {
                qp(pending, out);
                pending.clear();
            }
        }
    }
}

fn b64(input: &[u8], out: &mut Vec<u8>) {
    for quad in input.chunks(4) {
        if let Ok(bytes) = LENIENT.decode(quad) {
            out.extend_from_slice(&bytes);
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

/// RFC 2045 §6.7 quoted-printable (soft line breaks `=\r\n` / `=\n` removed).
fn qp(input: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        match (input.get(i + 1), input.get(i + 2)) {
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(b'\n'), _) => i += 2,
            (Some(&h), Some(&l)) => match (hex(h), hex(l)) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
}

/// Decodes a whole (small) body to bytes.
pub fn decode_all(encoding: &str, body: &[u8]) -> Vec<u8> {
    let mut d = Decoder::for_encoding(encoding);
    let mut out = Vec::with_capacity(body.len());
    d.feed(body, &mut out);
    d.finish(&mut out);
    out
}

/// Bytes in `charset` (a MIME label; unknown or absent means UTF-8) to a string.
pub fn to_text(bytes: &[u8], charset: Option<&str>) -> String {
    let enc = charset
        .and_then(|c| encoding_rs::Encoding::for_label(c.trim().as_bytes()))
        .unwrap_or(encoding_rs::UTF_8);
    enc.decode(bytes).0.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_are_split_invariant() {
        let cases: &[(&str, &[u8], &[u8])] = &[
            (
                "base64",
                b"aGVs\r\nbG8g\r\nd29y\r\nbGQ=\r\n",
                b"hello world",
            ),
            ("base64", b"aGVsbG8", b"hello"),
            (
                "quoted-printable",
                b"caf=C3=A9 =\r\nau lait=3D",
                "café au lait=".as_bytes(),
            ),
            ("quoted-printable", b"a=ZZb=\nc", b"a=ZZbc"),
            ("7bit", b"plain\r\n", b"plain\r\n"),
        ];
        for (enc, input, want) in cases {
            for split in 0..=input.len() {
                let mut d = Decoder::for_encoding(enc);
                let mut out = Vec::new();
                d.feed(&input[..split], &mut out);
                d.feed(&input[split..], &mut out);
                d.finish(&mut out);
                assert_eq!(&out, want, "{enc} split at {split}");
            }
        }
    }

    #[test]
    fn charsets() {
        assert_eq!(to_text(b"caf\xe9", Some("iso-8859-1")), "café");
        assert_eq!(to_text("café".as_bytes(), None), "café");
        assert_eq!(to_text("café".as_bytes(), Some("x-unknown")), "café");
    }
}
