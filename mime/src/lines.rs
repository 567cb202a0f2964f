//! Line assembly over arbitrary chunks.
//!
//! Owns the only cross-chunk line buffer. A line ends at LF (a CR before it is part of the line
//! ending); bare CR is ordinary content. A line longer than `cap` bytes is handed on in pieces
//! of exactly `cap` bytes counted from the line start, so where pieces are cut depends only on
//! the bytes, never on the chunking. Invariant: `pending.len() < cap`.

/// One piece of a line: a whole line, or part of a long one.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Piece<'a> {
    /// The bytes, including the line ending if `eol`.
    pub bytes: &'a [u8],
    /// The piece begins a line.
    pub start: bool,
    /// The piece ends with LF.
    pub eol: bool,
}

#[derive(Debug)]
pub(crate) struct LineSplitter {
    pending: Vec<u8>,
    cap: usize,
    at_start: bool,
}

impl LineSplitter {
    pub(crate) fn new(cap: usize) -> Self {
        LineSplitter {
            pending: Vec::new(),
            cap: cap.max(128),
            at_start: true,
        }
    }

    pub(crate) fn feed(&mut self, chunk: &[u8], f: &mut impl FnMut(Piece<'_>)) {
        let mut rest = chunk;
        while !rest.is_empty() {
            if !self.pending.is_empty() {
                let room = self.cap - self.pending.len();
                let window = &rest[..room.min(rest.len())];
                if let Some(i) = memchr::memchr(b'\n', window) {
                    self.pending.extend_from_slice(&window[..=i]);
                    rest = &rest[i + 1..];
                    self.emit_pending(true, f);
                } else {
                    self.pending.extend_from_slice(window);
                    rest = &rest[window.len()..];
                    if self.pending.len() == self.cap {
                        self.emit_pending(false, f);
                    }
                }
                continue;
            }
            let window = &rest[..self.cap.min(rest.len())];
            match memchr::memchr(b'\n', window) {
                Some(i) => {
                    self.emit(&rest[..=i], true, f);
                    rest = &rest[i + 1..];
                }
                None if window.len() == self.cap => {
                    self.emit(window, false, f);
                    rest = &rest[self.cap..];
                }
                None => {
                    self.pending.extend_from_slice(rest);
                    rest = &[];
                }
            }
        }
    }

    /// Hands on the unterminated last line, if any.
    pub(crate) fn finish(&mut self, f: &mut impl FnMut(Piece<'_>)) {
        if !self.pending.is_empty() {
            self.emit_pending(false, f);
        }
    }

    fn emit_pending(&mut self, eol: bool, f: &mut impl FnMut(Piece<'_>)) {
        let pending = std::mem::take(&mut self.pending);
        self.emit(&pending, eol, f);
        self.pending = pending;
        self.pending.clear();
    }

    fn emit(&mut self, bytes: &[u8], eol: bool, f: &mut impl FnMut(Piece<'_>)) {
        f(Piece {
            bytes,
            start: self.at_start,
            eol,
        });
        self.at_start = eol;
    }
}

/// The line's content without its ending (LF or CRLF).
pub(crate) fn content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pieces(input: &[u8], cap: usize, split: &[usize]) -> Vec<(Vec<u8>, bool, bool)> {
        let mut ls = LineSplitter::new(cap);
        let mut out = Vec::new();
        let mut f = |p: Piece<'_>| out.push((p.bytes.to_vec(), p.start, p.eol));
        let mut last = 0;
        for &s in split {
            ls.feed(&input[last..s], &mut f);
            last = s;
        }
        ls.feed(&input[last..], &mut f);
        ls.finish(&mut f);
        out
    }

    #[test]
    fn same_pieces_for_every_split() {
        let mut input = b"a\r\nbb\n\nlong:".to_vec();
        input.extend(std::iter::repeat_n(b'x', 300));
        input.extend_from_slice(b"\r\ntail");
        let whole = pieces(&input, 128, &[]);
        assert_eq!(whole[0], (b"a\r\n".to_vec(), true, true));
        assert_eq!(whole[3].0.len(), 128);
        assert!(!whole[4].1);
        for i in 0..input.len() {
            for j in i..input.len() {
                assert_eq!(pieces(&input, 128, &[i, j]), whole, "split {i} {j}");
            }
        }
        let total: Vec<u8> = whole.iter().flat_map(|p| p.0.clone()).collect();
        assert_eq!(total, input);
    }
}
