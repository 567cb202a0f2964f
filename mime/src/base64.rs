//! Streaming base64: the strict run decoder that checks the re-encoding recipe while bytes
//! arrive, and a lenient decoder for sizes and text.
//!
//! Recipe (`Transfer::Base64 { line_len, crlf, final_eol }`): `line_len` = length of the first
//! line (a multiple of 4 here, so quads never span lines); every line but the last exactly
//! `line_len` characters; one line ending style throughout; the last line canonically padded;
//! a line ending after it or not. The run decoder commits input a whole quad (or line ending) at
//! a time, so at any moment the committed prefix re-encodes exactly to the committed original
//! bytes. Blank lines before the first character go to the skeleton ahead of the run. On the
//! first byte that breaks the recipe it ends the run (`BodyEnd`) and hands the
//! uncommitted and all following bytes on as `Skeleton`.

use super::Output;
use eider_model::Transfer;

const INVALID: u8 = 0xff;

const fn table() -> [u8; 256] {
    let mut t = [INVALID; 256];
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0;
    while i < 64 {
        t[alphabet[i] as usize] = i as u8;
        i += 1;
    }
    t
}

static VALUES: [u8; 256] = table();

pub(crate) fn value(c: u8) -> u8 {
    VALUES[c as usize]
}

/// Decodes one quad if it is canonical base64 (`xxxx`, `xxx=`, `xx==` with zero unused bits).
fn decode_quad(q: &[u8; 4], out: &mut Vec<u8>) -> Option<bool> {
    let v = [value(q[0]), value(q[1]), value(q[2]), value(q[3])];
    if v[0] == INVALID || v[1] == INVALID {
        return None;
    }
    let b0 = (v[0] << 2) | (v[1] >> 4);
    match (q[2], q[3]) {
        (b'=', b'=') => {
            if v[1] & 0x0f != 0 {
                return None;
            }
            out.push(b0);
            Some(true)
        }
        (_, b'=') => {
            if v[2] == INVALID || v[2] & 0x03 != 0 {
                return None;
            }
            out.extend_from_slice(&[b0, (v[1] << 4) | (v[2] >> 2)]);
            Some(true)
        }
        _ => {
            if v[2] == INVALID || v[3] == INVALID {
                return None;
            }
            out.extend_from_slice(&[b0, (v[1] << 4) | (v[2] >> 2), (v[2] << 6) | v[3]]);
            Some(false)
        }
    }
}

/// The strict streaming run decoder for one leaf body.
#[derive(Debug, Default)]
pub(crate) struct B64Run {
    started: bool,
    failed: bool,
    line_len: Option<u32>,
    crlf: Option<bool>,
    cur_line: u32,
    quad: [u8; 4],
    qn: usize,
    /// Padding seen on the current line: only its line ending may follow.
    padded: bool,
    /// A short or padded line ended: nothing but the end of the body may follow.
    ended: bool,
    pending_cr: bool,
    at_line_start: bool,
    encoded_len: u64,
    decoded: Vec<u8>,
}

impl B64Run {
    pub(crate) fn new() -> Self {
        B64Run::default()
    }

    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(Output<'_>)) {
        let mut i = 0;
        while i < bytes.len() {
            if self.failed {
                out(Output::Skeleton(&bytes[i..]));
                return;
            }
            let j = self.fast_quads(bytes, i);
            if j > i {
                i = j;
                continue;
            }
            if let Err(()) = self.byte(bytes[i], out) {
                self.fail(out);
                out(Output::Skeleton(&bytes[i..]));
                return;
            }
            i += 1;
        }
        self.flush(out);
    }

    /// Fast path: decodes whole quads of alphabet characters (no padding) that fit on the
    /// current line, starting at `i`; returns where it stopped. Same result as `byte` per byte.
    fn fast_quads(&mut self, bytes: &[u8], i: usize) -> usize {
        if !self.started || self.qn != 0 || self.pending_cr || self.ended || self.padded {
            return i;
        }
        let room = self
            .line_len
            .map_or(usize::MAX, |l| l.saturating_sub(self.cur_line) as usize);
        let lim = bytes.len().min(i.saturating_add(room));
        let mut j = i;
        while j + 4 <= lim {
            let q = [bytes[j], bytes[j + 1], bytes[j + 2], bytes[j + 3]];
            let v = q.map(value);
            if v.contains(&INVALID) {
                break;
            }
            self.decoded.extend_from_slice(&[
                (v[0] << 2) | (v[1] >> 4),
                (v[1] << 4) | (v[2] >> 2),
                (v[2] << 6) | v[3],
            ]);
            j += 4;
        }
        let n = j - i;
        if n > 0 {
            self.cur_line = self.cur_line.saturating_add(n as u32);
            self.encoded_len += n as u64;
            self.at_line_start = false;
        }
        j
    }

    /// Ends the run at the end of the body.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Output<'_>)) {
        if !self.failed {
            self.fail(out);
        }
    }

    fn byte(&mut self, c: u8, out: &mut impl FnMut(Output<'_>)) -> Result<(), ()> {
        if self.pending_cr {
            if c != b'\n' {
                return Err(());
            }
            if self.leading_blank() {
                self.pending_cr = false;
                out(Output::Skeleton(b"\r\n"));
                return Ok(());
            }
            self.eol(true)?;
            self.pending_cr = false;
            return Ok(());
        }
        match c {
            b'\r' => {
                self.pending_cr = true;
                Ok(())
            }
            b'\n' if self.leading_blank() => {
                out(Output::Skeleton(b"\n"));
                Ok(())
            }
            b'\n' => self.eol(false),
            _ => self.data(c, out),
        }
    }

    /// Blank lines before the first character stay in the skeleton; the run starts after them.
    fn leading_blank(&self) -> bool {
        !self.started && self.qn == 0 && self.cur_line == 0
    }

    fn eol(&mut self, crlf: bool) -> Result<(), ()> {
        if self.qn != 0 || self.cur_line == 0 || self.ended || self.crlf.is_some_and(|c| c != crlf)
        {
            return Err(());
        }
        self.crlf = Some(crlf);
        match self.line_len {
            None => self.line_len = Some(self.cur_line),
            Some(l) if self.cur_line < l => self.ended = true,
            Some(_) => {}
        }
        if self.padded {
            self.ended = true;
        }
        self.encoded_len += if crlf { 2 } else { 1 };
        self.cur_line = 0;
        self.at_line_start = true;
        Ok(())
    }

    fn data(&mut self, c: u8, out: &mut impl FnMut(Output<'_>)) -> Result<(), ()> {
        if self.ended || self.padded || self.line_len.is_some_and(|l| self.cur_line >= l) {
            return Err(());
        }
        if c != b'=' && value(c) == INVALID {
            return Err(());
        }
        self.quad[self.qn] = c;
        self.qn += 1;
        self.cur_line = self.cur_line.saturating_add(1);
        if self.qn < 4 {
            return Ok(());
        }
        let Some(padded) = decode_quad(&self.quad, &mut self.decoded) else {
            // The current byte is handed on by the caller: keep only the first three.
            self.qn = 3;
            return Err(());
        };
        self.qn = 0;
        self.padded = padded;
        self.encoded_len += 4;
        self.at_line_start = false;
        if !self.started {
            self.started = true;
            out(Output::BodyStart);
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut impl FnMut(Output<'_>)) {
        if !self.decoded.is_empty() {
            out(Output::Decoded(&self.decoded));
            self.decoded.clear();
        }
    }

    /// Ends the run at the last committed byte; uncommitted bytes go to the skeleton.
    fn fail(&mut self, out: &mut impl FnMut(Output<'_>)) {
        self.flush(out);
        self.failed = true;
        if self.started {
            out(Output::BodyEnd {
                transfer: Transfer::Base64 {
                    line_len: self.line_len.unwrap_or(0),
                    crlf: self.crlf.unwrap_or(true),
                    final_eol: self.at_line_start,
                },
                encoded_len: self.encoded_len,
            });
        }
        let quad = self.quad;
        if self.qn > 0 {
            out(Output::Skeleton(&quad[..self.qn]));
        }
        if self.pending_cr {
            out(Output::Skeleton(b"\r"));
        }
        self.qn = 0;
        self.pending_cr = false;
    }
}

/// Lenient decoder: skips anything outside the alphabet, stops caring at padding.
#[derive(Debug, Default)]
pub(crate) struct LenientB64 {
    acc: u32,
    bits: u32,
}

impl LenientB64 {
    /// Decoded bytes `bytes` would add, without decoding them.
    pub(crate) fn count(&mut self, bytes: &[u8]) -> u64 {
        let chars = bytes.iter().filter(|&&c| value(c) != INVALID).count() as u64;
        let bits = u64::from(self.bits) + chars * 6;
        self.bits = (bits % 8) as u32;
        self.acc = 0;
        bits / 8
    }

    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut Vec<u8>) {
        for &c in bytes {
            let v = value(c);
            if v == INVALID {
                continue;
            }
            self.acc = (self.acc << 6) | u32::from(v);
            self.bits += 6;
            if self.bits >= 8 {
                self.bits -= 8;
                out.push((self.acc >> self.bits) as u8);
                self.acc &= (1 << self.bits) - 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `input` through a run decoder fed in pieces of `step` bytes; returns
    /// (decoded, end marker, skeleton bytes, rebuilt input).
    type RunResult = (Vec<u8>, Option<(Transfer, u64)>, Vec<u8>, Vec<u8>);

    fn run(input: &[u8], step: usize) -> RunResult {
        let mut r = B64Run::new();
        let mut dec = Vec::new();
        let mut end = None;
        let mut skel = Vec::new();
        let mut rb = crate::Rebuilder::default();
        let mut f = |o: Output<'_>| {
            match &o {
                Output::Decoded(d) => dec.extend_from_slice(d),
                Output::BodyEnd {
                    transfer,
                    encoded_len,
                } => end = Some((transfer.clone(), *encoded_len)),
                Output::Skeleton(s) => skel.extend_from_slice(s),
                _ => {}
            }
            rb.push(o);
        };
        for c in input.chunks(step.max(1)) {
            r.feed(c, &mut f);
        }
        r.finish(&mut f);
        (dec, end, skel, rb.bytes)
    }

    #[test]
    fn recipe_table() {
        let b64 = |l: u32, crlf: bool, fe: bool| Transfer::Base64 {
            line_len: l,
            crlf,
            final_eol: fe,
        };
        // (input, decoded, transfer, encoded_len)
        type Case = (&'static [u8], &'static [u8], Option<Transfer>, u64);
        let table: &[Case] = &[
            (
                b"QUJD\r\nREVG\r\nRw==\r\n",
                b"ABCDEFG",
                Some(b64(4, true, true)),
                18,
            ),
            (
                b"QUJD\nREVG\nRw==",
                b"ABCDEFG",
                Some(b64(4, false, false)),
                14,
            ),
            (
                b"QUJD\r\nREVG\r\n\r\n",
                b"ABCDEF",
                Some(b64(4, true, true)),
                12,
            ),
            (
                b"QUJD\r\nREVG\nRw==\r\n",
                b"ABCDEF",
                Some(b64(4, true, false)),
                10,
            ),
            (
                b"QUJDREVG\r\nRw\r\n",
                b"ABCDEF",
                Some(b64(8, true, true)),
                10,
            ),
            (b"QUJD REVG", b"ABC", Some(b64(0, true, false)), 4),
            (b"QQ==QUJD", b"A", Some(b64(0, true, false)), 4),
            (b"QS==", b"", None, 0),
            (b" QUJD", b"", None, 0),
            (b"\r\n\nQUJD\r\n", b"ABC", Some(b64(4, true, true)), 6),
            (
                b"QUJD\r\nRw==\r\nQUJD\r\n",
                b"ABCG",
                Some(b64(4, true, true)),
                12,
            ),
        ];
        for (input, decoded, transfer, enc) in table {
            for step in [1, 2, 3, 5, 100] {
                let (dec, end, skel, rebuilt) = run(input, step);
                let s = String::from_utf8_lossy(input);
                assert_eq!(&dec[..], *decoded, "{s} step {step}");
                assert_eq!(end.as_ref().map(|e| &e.0), transfer.as_ref(), "{s}");
                let enc_len = end.map_or(0, |e| e.1);
                assert_eq!(enc_len, *enc, "{s}");
                assert_eq!(skel.len() as u64, input.len() as u64 - enc, "{s}");
                assert_eq!(&rebuilt[..], *input, "{s}");
            }
        }
    }

    #[test]
    fn lenient() {
        let mut d = LenientB64::default();
        let mut out = Vec::new();
        d.feed(b"QU\r\nJ DR", &mut out);
        d.feed(b"A==", &mut out);
        assert_eq!(out, b"ABCD");
        let mut c = LenientB64::default();
        assert_eq!(c.count(b"QU\r\nJ DR") + c.count(b"A=="), 4);
    }
}
