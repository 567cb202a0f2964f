//! The base64 line layout of a `Transfer::Base64` segment, and partial re-encoding.
//!
//! Layout of `n` decoded bytes with `line_len` characters per line (`0`: one single line): every
//! line but the last holds `line_len * 3 / 4` decoded bytes (`line_len` must be a multiple of 4,
//! RFC 2045 §6.8 writes 76); the last line holds the rest and is padded with `=`. Each line but
//! the last is followed by the line ending (CRLF or LF); the last one only when `final_eol`.
//! No decoded bytes: no lines, no bytes.
//!
//! Re-encoding a byte range works per 4-character group: only the groups covering the range are
//! encoded, from the 3 decoded bytes each stands for.

use crate::error::{StoreError, StoreResult};
use ::base64::Engine;
use ::base64::engine::general_purpose::STANDARD;

/// Bytes `n` decoded bytes take once base64-encoded with this layout.
pub fn base64_encoded_len(n: u64, line_len: u32, crlf: bool, final_eol: bool) -> u64 {
    match Layout::new(n, line_len, crlf, final_eol) {
        Ok(l) => l.encoded_len(),
        Err(_) => 0,
    }
}

/// A base64 layout; positions are relative to the segment.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    n: u64,
    /// Characters per full line; 0 for a single line.
    line_len: u64,
    /// Decoded bytes per full line.
    per_line: u64,
    eol: &'static [u8],
    final_eol: bool,
}

/// One piece of the encoded output: characters of a line, or (part of) its line ending.
enum Piece {
    /// Encode decoded bytes `dec.0..dec.1`, then keep `skip..skip + take` of the text.
    Chars {
        dec: (u64, u64),
        skip: u64,
        take: u64,
    },
    /// Bytes `skip..skip + take` of the line ending.
    Eol { skip: u64, take: u64 },
}

impl Layout {
    pub fn new(n: u64, line_len: u32, crlf: bool, final_eol: bool) -> StoreResult<Self> {
        let line_len = u64::from(line_len);
        if line_len % 4 != 0 {
            return Err(StoreError::Corrupt(format!(
                "base64 line length {line_len} is not a multiple of 4"
            )));
        }
        Ok(Self {
            n,
            line_len,
            per_line: if line_len == 0 { n } else { line_len / 4 * 3 },
            eol: if crlf { b"\r\n" } else { b"\n" },
            final_eol,
        })
    }

    fn lines(&self) -> u64 {
        if self.n == 0 {
            0
        } else {
            self.n.div_ceil(self.per_line)
        }
    }

    fn stride(&self) -> u64 {
        self.line_len + self.eol.len() as u64
    }

    fn line_start(&self, i: u64) -> u64 {
        i * self.stride()
    }

    /// Decoded range of line `i`.
    fn line_dec(&self, i: u64) -> (u64, u64) {
        let start = i * self.per_line;
        (start, (start + self.per_line).min(self.n))
    }

    fn line_chars(&self, i: u64) -> u64 {
        let (s, e) = self.line_dec(i);
        (e - s).div_ceil(3) * 4
    }

    fn has_eol(&self, i: u64) -> bool {
        i + 1 < self.lines() || self.final_eol
    }

    pub fn encoded_len(&self) -> u64 {
        let lines = self.lines();
        if lines == 0 {
            return 0;
        }
        let last = lines - 1;
        let eol = if self.final_eol {
            self.eol.len() as u64
        } else {
            0
        };
        self.line_start(last) + self.line_chars(last) + eol
    }

    /// Calls `f` with the pieces that make up encoded bytes `a..b`, in order.
    fn walk(&self, a: u64, b: u64, mut f: impl FnMut(Piece)) {
        let b = b.min(self.encoded_len());
        if a >= b {
            return;
        }
        let mut i = if self.line_len == 0 {
            0
        } else {
            a / self.stride()
        };
        while i < self.lines() && self.line_start(i) < b {
            let ls = self.line_start(i);
            let chars = self.line_chars(i);
            let (cs, ce) = (a.max(ls), b.min(ls + chars));
            if cs < ce {
                let (g0, g1) = ((cs - ls) / 4, (ce - ls).div_ceil(4));
                let (ds, de) = self.line_dec(i);
                let dec = (ds + 3 * g0, (ds + 3 * g1).min(de));
                let skip = cs - (ls + 4 * g0);
                f(Piece::Chars {
                    dec,
                    skip,
                    take: ce - cs,
                });
            }
            if self.has_eol(i) {
                let es = ls + chars;
                let (s, e) = (a.max(es), b.min(es + self.eol.len() as u64));
                if s < e {
                    f(Piece::Eol {
                        skip: s - es,
                        take: e - s,
                    });
                }
            }
            i += 1;
        }
    }

    /// The decoded range needed to produce encoded bytes `a..b` (empty when nothing is needed).
    pub fn plan(&self, a: u64, b: u64) -> (u64, u64) {
        let mut range: Option<(u64, u64)> = None;
        self.walk(a, b, |p| {
            if let Piece::Chars { dec, .. } = p {
                range = Some(match range {
                    Some((s, _)) => (s, dec.1),
                    None => dec,
                });
            }
        });
        range.unwrap_or((0, 0))
    }

    /// Encoded bytes `a..b`, given the decoded bytes `decoded` that start at decoded offset
    /// `base` and cover [`plan`](Self::plan)`(a, b)`.
    pub fn render(&self, a: u64, b: u64, base: u64, decoded: &[u8]) -> StoreResult<Vec<u8>> {
        let mut out = Vec::with_capacity(b.saturating_sub(a) as usize);
        let mut bad = false;
        self.walk(a, b, |p| match p {
            Piece::Chars { dec, skip, take } => {
                let (s, e) = (dec.0.wrapping_sub(base), dec.1.wrapping_sub(base));
                let Some(src) = decoded.get(s as usize..e as usize) else {
                    bad = true;
                    return;
                };
                let text = STANDARD.encode(src);
                match text.as_bytes().get(skip as usize..(skip + take) as usize) {
                    Some(t) => out.extend_from_slice(t),
                    None => bad = true,
                }
            }
            Piece::Eol { skip, take } => {
                out.extend_from_slice(&self.eol[skip as usize..(skip + take) as usize]);
            }
        });
        if bad {
            return Err(StoreError::Internal("base64 range out of bounds".into()));
        }
        Ok(out)
    }
}
