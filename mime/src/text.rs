//! Leaf body decoding for sizes and search text: transfer decoding (lenient base64,
//! quoted-printable), charset conversion to UTF-8 with `encoding_rs` (unknown charsets read as
//! UTF-8, invalid bytes replaced), and crude HTML stripping ([`super::html`]). Streaming: each piece of body
//! is decoded as it arrives; state is a few bytes.

use super::base64::LenientB64;
use super::encoded_words::{encoding_for, hex_pair};
use super::html::Html;
use eider_model::Part;

/// Quoted-printable decoder (RFC 2045 §6.7), lenient: a bad escape is kept as written.
#[derive(Debug, Default)]
struct Qp {
    pending: Vec<u8>,
}

impl Qp {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        for &c in bytes {
            self.byte(c, out);
        }
    }

    fn byte(&mut self, c: u8, out: &mut Vec<u8>) {
        match (self.pending.as_slice(), c) {
            ([], b'=') => self.pending.push(c),
            ([], _) => out.push(c),
            ([b'='], b'\r') => self.pending.push(c),
            ([b'='], b'\n') | ([b'=', b'\r'], b'\n') => self.pending.clear(),
            ([b'='], h) if h.is_ascii_hexdigit() => self.pending.push(h),
            ([b'=', x], h) if h.is_ascii_hexdigit() && x.is_ascii_hexdigit() => {
                out.extend(hex_pair(&[*x, h]));
                self.pending.clear();
            }
            _ => {
                out.append(&mut self.pending);
                self.byte(c, out);
            }
        }
    }

    fn finish(&mut self, out: &mut Vec<u8>) {
        out.append(&mut self.pending);
    }
}

#[derive(Debug)]
enum Transfer {
    Identity,
    Base64(LenientB64),
    Qp(Qp),
}

struct TextConv {
    decoder: encoding_rs::Decoder,
    html: Option<Html>,
}

impl std::fmt::Debug for TextConv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextConv").finish_non_exhaustive()
    }
}

/// Decoding state of one leaf body.
#[derive(Debug)]
pub(crate) struct LeafDecoder {
    transfer: Transfer,
    /// Decoded bytes so far, when the transfer encoding is base64 or quoted-printable.
    decoded: Option<u64>,
    text: Option<TextConv>,
    /// Whether the text is HTML (for the preview's preference of plain text).
    pub is_html: bool,
    buf: Vec<u8>,
    s: String,
    stripped: String,
}

impl LeafDecoder {
    pub(crate) fn new(part: &Part) -> Self {
        let (transfer, decoded) = match part.encoding.as_str() {
            "base64" => (Transfer::Base64(LenientB64::default()), Some(0)),
            "quoted-printable" => (Transfer::Qp(Qp::default()), Some(0)),
            _ => (Transfer::Identity, None),
        };
        let is_text = part.media_type == "text"
            && (part.media_subtype == "plain" || part.media_subtype == "html");
        let is_html = part.media_subtype == "html";
        let text = is_text.then(|| {
            let cs = part.params.iter().find(|p| p.name == "charset");
            let enc = cs
                .and_then(|c| encoding_for(&c.value))
                .unwrap_or(encoding_rs::UTF_8);
            TextConv {
                decoder: enc.new_decoder_without_bom_handling(),
                html: is_html.then(Html::default),
            }
        });
        LeafDecoder {
            transfer,
            decoded,
            text,
            is_html,
            buf: Vec::new(),
            s: String::new(),
            stripped: String::new(),
        }
    }

    /// Whether this body yields search text.
    pub(crate) fn is_text(&self) -> bool {
        self.text.is_some()
    }

    pub(crate) fn wants_bytes(&self) -> bool {
        self.decoded.is_some() || self.text.is_some()
    }

    /// Decoded size, when the body was transfer-decoded.
    pub(crate) fn decoded_size(&self) -> Option<u64> {
        self.decoded
    }

    /// Feeds raw body bytes; calls `emit` with converted text, if this is a text part.
    pub(crate) fn feed(&mut self, bytes: &[u8], last: bool, emit: &mut impl FnMut(&str)) {
        self.buf.clear();
        if self.text.is_none()
            && let (Transfer::Base64(d), Some(n)) = (&mut self.transfer, &mut self.decoded)
        {
            // Only the size is needed: count instead of decoding.
            *n += d.count(bytes);
            return;
        }
        match &mut self.transfer {
            Transfer::Identity => self.buf.extend_from_slice(bytes),
            Transfer::Base64(d) => d.feed(bytes, &mut self.buf),
            Transfer::Qp(d) => {
                d.feed(bytes, &mut self.buf);
                if last {
                    d.finish(&mut self.buf);
                }
            }
        }
        if let Some(n) = &mut self.decoded {
            *n += self.buf.len() as u64;
        }
        let Some(conv) = &mut self.text else {
            return;
        };
        self.s.clear();
        let need = conv
            .decoder
            .max_utf8_buffer_length(self.buf.len())
            .unwrap_or(self.buf.len() * 3 + 16);
        self.s.reserve(need);
        let _ = conv.decoder.decode_to_string(&self.buf, &mut self.s, last);
        match &mut conv.html {
            Some(h) => {
                self.stripped.clear();
                h.strip(&self.s, &mut self.stripped);
                emit(&self.stripped);
            }
            None => emit(&self.s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(ty: &str, sub: &str, enc: &str, cs: &str) -> Part {
        Part {
            media_type: ty.into(),
            media_subtype: sub.into(),
            encoding: enc.into(),
            params: vec![eider_model::Param {
                name: "charset".into(),
                value: cs.into(),
            }],
            ..Default::default()
        }
    }

    fn run(p: &Part, input: &[u8], step: usize) -> (String, Option<u64>) {
        let mut d = LeafDecoder::new(p);
        let mut text = String::new();
        let chunks: Vec<&[u8]> = input.chunks(step).collect();
        for (i, c) in chunks.iter().enumerate() {
            d.feed(c, i + 1 == chunks.len(), &mut |s| text.push_str(s));
        }
        (text, d.decoded_size())
    }

    #[test]
    fn table() {
        let table: &[(Part, &[u8], &str, Option<u64>)] = &[
            (
                part("text", "plain", "quoted-printable", "iso-8859-1"),
                b"caf=E9 =\r\nx=3D=ZZ=",
                "caf\u{e9} x==ZZ=",
                Some(11),
            ),
            (
                part("text", "plain", "base64", "utf-8"),
                b"Y2Fmw6k=\r\n",
                "caf\u{e9}",
                Some(5),
            ),
            (
                part("text", "html", "7bit", "us-ascii"),
                b"<p>a<b>b</b></p>",
                " a b  ",
                None,
            ),
            (
                part("text", "plain", "8bit", "x-unknown"),
                b"\xc3\xa9",
                "\u{e9}",
                None,
            ),
            (part("image", "png", "base64", ""), b"AAAA", "", Some(3)),
        ];
        for (p, input, want, size) in table {
            for step in [1, 2, 7, 100] {
                let (t, s) = run(p, input, step);
                assert_eq!(&t, want, "step {step}");
                assert_eq!(s, *size);
            }
        }
    }
}
