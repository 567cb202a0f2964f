//! Streaming quoted-printable: the strict run decoder that checks, line by line while bytes
//! arrive, that the body is exactly what [`crate::content::encode_qp`] writes.
//!
//! Recipe (`Transfer::QuotedPrintable { line_len, crlf, soft_end }`): see `content::qp`. The
//! decoder holds at most two encoded lines (each at most [`MAX_LINE`] characters): the line
//! being read, and the previous one when it ended with a soft break, because whether that break
//! is where the greedy encoder would put it depends on the next line's first characters. The
//! line length is not known in advance: each line narrows the range of lengths that would fold
//! the lines seen so far the same way (`lo..=hi`); any value in the range reproduces them.
//!
//! A line is committed (its decoded bytes emitted) once it is known to re-encode exactly. Every
//! ~[`PIECE`] decoded bytes the run is cut (`Output::Piece`) at the next committed line end, so
//! that each segment re-encodes on its own and a partial read re-encodes one segment, not the
//! body. On the first line that breaks the recipe the run ends at the last committed line (a
//! held soft line can always end the run: the segment then ends with a soft break) and every
//! uncommitted and following byte goes to the skeleton, as for base64.

use super::Output;
use crate::content::qp::is_literal;
use crate::model::Transfer;

/// Longest encoded line accepted, line ending excluded (RFC 5322 §2.1.1 allows 998; RFC 2045
/// §6.7 rule 5 asks for 76).
const MAX_LINE: usize = 998;

/// Decoded bytes after which the run is cut into a new segment at the next line end.
pub(crate) const PIECE: u64 = 64 * 1024;

/// Line length preferred when several fit (RFC 2045 §6.7 rule 5).
const PREFERRED: u32 = 76;

/// What one valid encoded line holds.
#[derive(Clone, Copy, Debug)]
struct LineInfo {
    /// Encoded characters, soft-break `=` included, line ending excluded.
    len: u32,
    /// Tokens (characters or escapes), counted up to 2.
    tokens: u8,
    /// Width of the first token (1 or 3).
    first: u8,
    soft: bool,
}

/// A soft-broken line waiting for the next line to confirm its break.
#[derive(Debug, Default)]
struct Held {
    enc: Vec<u8>,
    dec: Vec<u8>,
    len: u32,
}

/// The strict streaming run decoder for one leaf body.
#[derive(Debug)]
pub(crate) struct QpRun {
    failed: bool,
    started: bool,
    crlf: Option<bool>,
    lo: u32,
    hi: u32,
    /// Encoded bytes of the line being read (its line ending included once complete).
    line: Vec<u8>,
    /// Decoded bytes of `line`, once parsed.
    dec: Vec<u8>,
    held: Option<Held>,
    /// The last decoded byte is an escaped CR with no hard break after it: an escaped LF next
    /// would decode to a CRLF the encoder writes as a hard break.
    cr: bool,
    /// Whether the last committed line ended with a soft break.
    last_soft: bool,
    /// The CRLF of the last committed hard line is not emitted yet: if the body ends there, it
    /// is the line ending before the delimiter (`final_eol`), not decoded data.
    tail_crlf: bool,
    piece_dec: u64,
    piece_enc: u64,
}

impl QpRun {
    pub(crate) fn new() -> Self {
        QpRun {
            failed: false,
            started: false,
            crlf: None,
            lo: 4,
            hi: u32::MAX,
            line: Vec::new(),
            dec: Vec::new(),
            held: None,
            cr: false,
            last_soft: false,
            tail_crlf: false,
            piece_dec: 0,
            piece_enc: 0,
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(Output<'_>)) {
        let mut i = 0;
        while i < bytes.len() {
            if self.failed {
                out(Output::Skeleton(&bytes[i..]));
                return;
            }
            let rest = &bytes[i..];
            let (take, complete) = match memchr::memchr(b'\n', rest) {
                Some(j) => (j + 1, true),
                None => (rest.len(), false),
            };
            if self.line.len() + take > MAX_LINE + 2 {
                self.fail(out);
                continue;
            }
            self.line.extend_from_slice(&rest[..take]);
            i += take;
            if complete && self.end_line(true, out).is_err() {
                self.fail(out);
            }
        }
    }

    /// Ends the run at the end of the body.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Output<'_>)) {
        if self.failed {
            return;
        }
        if !self.line.is_empty() && self.end_line(false, out).is_err() {
            self.fail(out);
            return;
        }
        self.fail(out);
    }

    /// The recipe of the piece that ends here (`final_eol`: at the end of the run).
    fn transfer(&self, final_eol: bool) -> Transfer {
        Transfer::QuotedPrintable {
            line_len: self.lo.max(self.hi.min(PREFERRED)),
            crlf: self.crlf.unwrap_or(true),
            soft_end: self.last_soft,
            final_eol: final_eol && self.tail_crlf,
        }
    }

    /// Handles the complete line in `self.line` (`eol`: it ends with a line ending; else it is
    /// the body's last line).
    fn end_line(&mut self, eol: bool, out: &mut impl FnMut(Output<'_>)) -> Result<(), ()> {
        let line = std::mem::take(&mut self.line);
        let r = self.process(&line, eol, out);
        // On failure the line stays for `fail` to hand on to the skeleton.
        self.line = line;
        if r.is_ok() {
            self.line.clear();
        }
        r
    }

    fn process(
        &mut self,
        line: &[u8],
        eol: bool,
        out: &mut impl FnMut(Output<'_>),
    ) -> Result<(), ()> {
        let content = match (eol, line.strip_suffix(b"\r\n")) {
            (false, _) => line,
            (true, Some(c)) => {
                self.check_eol(true)?;
                c
            }
            (true, None) => {
                self.check_eol(false)?;
                line.strip_suffix(b"\n").ok_or(())?
            }
        };
        self.dec.clear();
        let mut cr = self.cr;
        let info = parse(content, eol, &mut cr, &mut self.dec)?;
        if info.soft && !eol {
            return Err(());
        }
        if let Some(h) = &self.held {
            // The held line's break must be where the greedy encoder puts it: the next token
            // (with the `=` it needs when more follows) must not fit on the held line.
            if info.tokens == 0 {
                return Err(());
            }
            let more = u32::from(info.tokens >= 2 || info.soft);
            let bound = (h.len + u32::from(info.first) + more)
                .checked_sub(2)
                .ok_or(())?;
            if bound < h.len {
                return Err(());
            }
            let (lo, hi) = (self.lo.max(h.len), self.hi.min(bound));
            if lo > hi {
                return Err(());
            }
            self.hi = hi;
            if let Some(h) = self.held.take() {
                self.commit(&h.dec, h.enc.len() as u64, h.len, true, out);
            }
        }
        if self.lo.max(info.len) > self.hi {
            return Err(());
        }
        self.cr = cr;
        if info.soft {
            self.held = Some(Held {
                enc: line.to_vec(),
                dec: std::mem::take(&mut self.dec),
                len: info.len,
            });
        } else {
            let dec = std::mem::take(&mut self.dec);
            self.commit(&dec, line.len() as u64, info.len, false, out);
            self.dec = dec;
        }
        Ok(())
    }

    fn check_eol(&mut self, crlf: bool) -> Result<(), ()> {
        if self.crlf.is_some_and(|c| c != crlf) {
            return Err(());
        }
        self.crlf = Some(crlf);
        Ok(())
    }

    /// Emits a line known to re-encode exactly, cutting the run first when the current piece
    /// is full.
    fn commit(
        &mut self,
        dec: &[u8],
        enc: u64,
        len: u32,
        soft: bool,
        out: &mut impl FnMut(Output<'_>),
    ) {
        if !self.started {
            self.started = true;
            out(Output::BodyStart);
        }
        if self.tail_crlf {
            out(Output::Decoded(b"\r\n"));
            self.tail_crlf = false;
        }
        if self.piece_dec >= PIECE {
            out(Output::Piece {
                transfer: self.transfer(false),
                encoded_len: self.piece_enc,
            });
            self.piece_dec = 0;
            self.piece_enc = 0;
        }
        self.lo = self.lo.max(len);
        self.last_soft = soft;
        self.piece_dec += dec.len() as u64;
        self.piece_enc += enc;
        let dec = match dec.strip_suffix(b"\r\n") {
            Some(d) if !soft && enc > u64::from(len) => {
                self.tail_crlf = true;
                d
            }
            _ => dec,
        };
        if !dec.is_empty() {
            out(Output::Decoded(dec));
        }
    }

    /// Ends the run at the last committed line; everything uncommitted goes to the skeleton.
    fn fail(&mut self, out: &mut impl FnMut(Output<'_>)) {
        self.failed = true;
        if let Some(h) = self.held.take() {
            // A soft line can end the run: its segment ends with the soft break.
            if self.lo.max(h.len) <= self.hi {
                self.commit(&h.dec, h.enc.len() as u64, h.len, true, out);
            } else {
                self.end_run(out);
                out(Output::Skeleton(&h.enc));
            }
        }
        self.end_run(out);
        if !self.line.is_empty() {
            out(Output::Skeleton(&self.line));
            self.line.clear();
        }
    }

    fn end_run(&mut self, out: &mut impl FnMut(Output<'_>)) {
        if self.started {
            self.started = false;
            out(Output::BodyEnd {
                transfer: self.transfer(true),
                encoded_len: self.piece_enc,
            });
            self.tail_crlf = false;
        }
    }
}

/// Parses one encoded line (line ending removed) if it is canonical, appending its decoded
/// bytes (and CRLF for a hard break) to `dec`. `eol`: a line ending follows; otherwise this is
/// the body's last line. `cr` carries the escaped-CR state across soft breaks.
fn parse(content: &[u8], eol: bool, cr: &mut bool, dec: &mut Vec<u8>) -> Result<LineInfo, ()> {
    if content.len() > MAX_LINE {
        return Err(());
    }
    // A final `=` cannot belong to an escape (`=` is not a hex digit): it is a soft break.
    let soft = content.last() == Some(&b'=');
    let body = if soft {
        &content[..content.len() - 1]
    } else {
        content
    };
    let (mut tokens, mut first) = (0u8, 0u8);
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        let (b, width) = if c == b'=' {
            let (Some(&h), Some(&l)) = (body.get(i + 1), body.get(i + 2)) else {
                return Err(());
            };
            ((hex(h)? << 4) | hex(l)?, 3)
        } else {
            (c, 1)
        };
        let last = i + width == body.len();
        let ws = b == b' ' || b == b'\t';
        // The canonical choice: RFC 2045 §6.7 rules 2 and 3 (whitespace escaped only at the
        // end of a decoded line, i.e. last on a line not ended by a soft break).
        let literal = is_literal(b) || (ws && !(last && !soft));
        if literal != (width == 1) {
            return Err(());
        }
        if *cr && b == b'\n' {
            return Err(());
        }
        *cr = b == b'\r';
        dec.push(b);
        if tokens == 0 {
            first = width as u8;
        }
        tokens = tokens.saturating_add(1).min(2);
        i += width;
    }
    if soft && tokens == 0 {
        return Err(());
    }
    if !soft && eol {
        dec.extend_from_slice(b"\r\n");
        *cr = false;
    }
    Ok(LineInfo {
        len: content.len() as u32,
        tokens,
        first,
        soft,
    })
}

/// Upper-case hex digit (lower case is legal QP but not what the encoder writes).
fn hex(c: u8) -> Result<u8, ()> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(()),
    }
}

#[cfg(test)]
#[path = "qp_tests.rs"]
mod tests;
