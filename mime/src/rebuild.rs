//! Rebuilds the original bytes from splitter outputs: skeleton bytes as they are, each run's
//! decoded bytes re-encoded by its transfer. Used by tests and verification tools; the store's
//! reader does the same per segment.

use super::Output;
use crate::qp_encode::encode_qp_into;
use base64::Engine;
use eider_model::Transfer;

/// Re-encodes decoded bytes as base64 with the given line layout.
pub fn encode_base64_run(decoded: &[u8], line_len: u32, crlf: bool, final_eol: bool) -> Vec<u8> {
    let chars = base64::engine::general_purpose::STANDARD.encode(decoded);
    let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
    let n = if line_len == 0 {
        chars.len().max(1)
    } else {
        line_len as usize
    };
    let mut out = Vec::with_capacity(chars.len() + chars.len() / n * 2 + 2);
    let lines: Vec<&[u8]> = chars.as_bytes().chunks(n).collect();
    for (i, l) in lines.iter().enumerate() {
        out.extend_from_slice(l);
        if i + 1 < lines.len() || final_eol {
            out.extend_from_slice(eol);
        }
    }
    out
}

/// Collects outputs and rebuilds the original message.
#[derive(Debug, Default)]
pub struct Rebuilder {
    pub bytes: Vec<u8>,
    run: Vec<u8>,
    /// Text outputs, concatenated.
    pub text: String,
}

impl Rebuilder {
    pub fn push(&mut self, o: Output<'_>) {
        match o {
            Output::Skeleton(s) => self.bytes.extend_from_slice(s),
            Output::BodyStart => self.run.clear(),
            Output::Decoded(d) => self.run.extend_from_slice(d),
            Output::Piece { transfer, .. } | Output::BodyEnd { transfer, .. } => {
                match transfer {
                    Transfer::Identity => self.bytes.append(&mut self.run),
                    Transfer::Base64 {
                        line_len,
                        crlf,
                        final_eol,
                    } => {
                        let enc = encode_base64_run(&self.run, line_len, crlf, final_eol);
                        self.bytes.extend_from_slice(&enc);
                    }
                    Transfer::QuotedPrintable(layout) => {
                        encode_qp_into(&self.run, &layout, &mut self.bytes)
                    }
                }
                self.run.clear();
            }
            Output::Text(t) => self.text.push_str(t),
        }
    }
}

/// Rebuilds the original bytes from a complete output sequence.
pub fn rebuild<'a>(outputs: impl IntoIterator<Item = Output<'a>>) -> Vec<u8> {
    let mut r = Rebuilder::default();
    for o in outputs {
        r.push(o);
    }
    r.bytes
}
