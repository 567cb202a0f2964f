//! Streaming quoted-printable: the strict run decoder that checks, line by line while bytes
//! arrive, that the body is exactly what [`crate::qp_encode::encode_qp`] writes.
//!
//! Recipe (`Transfer::QuotedPrintable(QpLayout)`): see `content::qp`. The decoder holds at
//! most two encoded lines (each at most [`MAX_LINE`] characters): the line being read, and the
//! previous one when it ended with a soft break, because whether that break is where the
//! encoder would put it depends on the next line's first characters. Neither the folding rule
//! nor the line length is known in advance: each line narrows, per rule, the range of lengths
//! that fold the lines seen so far the same way ([`super::qp_line::Folds`]); any live rule and
//! length in its range reproduces them.
//!
//! A line is committed (its decoded bytes emitted) once it is known to re-encode exactly. Every
//! ~[`PIECE`] decoded bytes the run is cut (`Output::Piece`) at the next committed line end, so
//! that each segment re-encodes on its own and a partial read re-encodes one segment, not the
//! body. On the first line that breaks the recipe the run ends at the last committed line (a
//! held soft line can always end the run: the segment then ends with a soft break) and every
//! uncommitted and following byte goes to the skeleton, as for base64.

use super::Output;
use super::qp_line::{Bytes, Folds, LineInfo, MAX_LINE, parse};
use eider_model::{QpLayout, Transfer};

/// Decoded bytes after which the run is cut into a new segment at the next line end.
pub(crate) const PIECE: u64 = 64 * 1024;

/// A soft-broken line waiting for the next line to confirm its break.
#[derive(Debug, Default)]
struct Held {
    enc: Vec<u8>,
    dec: Vec<u8>,
    info: LineInfo,
    /// The previous line's break was accepted on the strength of this line's own break: this
    /// line may not end the run before that is checked.
    vouches: bool,
}

/// The strict streaming run decoder for one leaf body.
#[derive(Debug)]
pub(crate) struct QpRun {
    failed: bool,
    started: bool,
    crlf: Option<bool>,
    /// Folding rules and line lengths consistent with every committed line.
    folds: Folds,
    /// Byte rules (needless escapes, trailing whitespace) consistent with every accepted line.
    bytes: Bytes,
    /// Encoded bytes of the line being read (its line ending included once complete).
    line: Vec<u8>,
    /// Decoded bytes of `line`, once parsed.
    dec: Vec<u8>,
    held: Option<Held>,
    /// The last decoded byte is an escaped CR with no hard break after it.
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
            folds: Folds::new(),
            bytes: Bytes::default(),
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
        let mut layout = QpLayout {
            trailing_ws: self.bytes.trailing_ws(),
            escape: self.bytes.escape(),
            ..QpLayout::greedy(
                76,
                self.crlf.unwrap_or(true),
                self.last_soft,
                final_eol && self.tail_crlf,
            )
        };
        self.folds.apply_best(&mut layout);
        Transfer::QuotedPrintable(layout)
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
        let mut info = parse(content, eol, &mut cr, &mut self.dec)?;
        if self.held.as_ref().is_some_and(|h| h.info.ends_ws) && info.tokens == 0 && !info.soft {
            // The only encoder that writes an empty line after a soft break keeps there a
            // trailing space whose escape did not fit: trailing whitespace is escaped.
            info.rule3 = true;
        }
        let bytes = self.bytes.with_line(&info).ok_or(())?;
        let mut vouches = false;
        if let Some(h) = &self.held {
            // The held line's break must be where the encoder puts it, given this line.
            let (folds, relies) = self.folds.with_break(&h.info, &info).ok_or(())?;
            self.folds = folds.with_line(&h.info).ok_or(())?;
            vouches = relies;
            if let Some(h) = self.held.take() {
                self.commit(&h.dec, h.enc.len() as u64, true, out);
            }
        }
        if bytes.escapes_ws() {
            self.folds = self.folds.without_word_wrap().ok_or(())?;
        }
        let folds = self.folds.with_line(&info).ok_or(())?;
        self.cr = cr;
        self.bytes = bytes;
        if info.soft {
            // Committed once the next line confirms the break (`folds` is applied then).
            self.held = Some(Held {
                enc: line.to_vec(),
                dec: std::mem::take(&mut self.dec),
                info,
                vouches,
            });
        } else {
            self.folds = folds;
            let dec = std::mem::take(&mut self.dec);
            self.commit(&dec, line.len() as u64, false, out);
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
    fn commit(&mut self, dec: &[u8], enc: u64, soft: bool, out: &mut impl FnMut(Output<'_>)) {
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
        self.last_soft = soft;
        self.piece_dec += dec.len() as u64;
        self.piece_enc += enc;
        let dec = match dec.strip_suffix(b"\r\n") {
            // Only a hard line's decoded bytes end in CRLF (an escaped CRLF is refused).
            Some(d) if !soft => {
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
            match self.folds.with_line(&h.info).filter(|_| !h.vouches) {
                Some(folds) => {
                    self.folds = folds;
                    self.commit(&h.dec, h.enc.len() as u64, true, out);
                }
                None => {
                    self.end_run(out);
                    out(Output::Skeleton(&h.enc));
                }
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

#[cfg(test)]
#[path = "qp_tests.rs"]
mod tests;
