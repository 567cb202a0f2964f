//! Streaming decoder for the DATA phase (RFC 5321 §4.5.2): removes dot-stuffing and finds the
//! terminating `CRLF.CRLF` across arbitrary chunk boundaries.
//!
//! Invariant: every byte of content is emitted exactly once, in order; the CRLF before the final
//! dot belongs to the message (RFC 5321 §4.1.1.4), the `.CRLF` does not. A `.CR` seen at a line
//! start is held back until the next byte says whether it ends the data, so no stray `\r` leaks.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    LineStart,
    Middle,
    AfterCr,
    Dot,
    DotCr,
    Done,
}

/// Dot-unstuffing decoder. Feed it bytes; it reports how many it consumed and whether the data
/// ended (bytes after the end are not consumed: they are the next pipelined command).
#[derive(Debug)]
pub struct DataDecoder {
    state: State,
}

impl Default for DataDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// What one `feed` call did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fed {
    pub consumed: usize,
    pub done: bool,
}

impl DataDecoder {
    pub fn new() -> Self {
        Self {
            state: State::LineStart,
        }
    }

    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Decodes `input`, appending content to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Fed {
        for (i, &b) in input.iter().enumerate() {
            self.state = match self.state {
                State::Done => {
                    return Fed {
                        consumed: i,
                        done: true,
                    };
                }
                State::LineStart if b == b'.' => State::Dot,
                State::Dot if b == b'\r' => State::DotCr,
                // ".." (or "." + anything) at a line start: the first dot is stuffing.
                State::Dot => Self::content(out, b),
                State::DotCr if b == b'\n' => State::Done,
                State::DotCr => {
                    // ".\r" then something else: the dot was stuffing, the \r is content.
                    out.push(b'\r');
                    Self::after_cr(out, b)
                }
                State::AfterCr => Self::after_cr(out, b),
                State::LineStart | State::Middle => Self::content(out, b),
            };
            if self.state == State::Done {
                return Fed {
                    consumed: i + 1,
                    done: true,
                };
            }
        }
        Fed {
            consumed: input.len(),
            done: self.state == State::Done,
        }
    }

    fn content(out: &mut Vec<u8>, b: u8) -> State {
        out.push(b);
        if b == b'\r' {
            State::AfterCr
        } else {
            State::Middle
        }
    }

    fn after_cr(out: &mut Vec<u8>, b: u8) -> State {
        out.push(b);
        match b {
            b'\n' => State::LineStart,
            b'\r' => State::AfterCr,
            _ => State::Middle,
        }
    }
}

/// Dot-stuffs `data` for sending (used by tests and clients): a `.` at a line start is doubled.
pub fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 8);
    let mut line_start = true;
    for &b in data {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_split(input: &[u8], split: &[usize]) -> (Vec<u8>, usize) {
        let mut d = DataDecoder::new();
        let mut out = Vec::new();
        let mut pos = 0;
        let mut cuts: Vec<usize> = split.to_vec();
        cuts.push(input.len());
        for cut in cuts {
            let cut = cut.min(input.len()).max(pos);
            let fed = d.feed(&input[pos..cut], &mut out);
            pos += fed.consumed;
            if fed.done {
                return (out, pos);
            }
        }
        (out, usize::MAX)
    }

    #[test]
    fn table_at_every_split() {
        let cases: &[(&[u8], &[u8], usize)] = &[
            (b".\r\n", b"", 3),
            (b"a\r\n.\r\n", b"a\r\n", 6),
            (b"a\r\n.\r\nQUIT\r\n", b"a\r\n", 6),
            (b"..a\r\n.\r\n", b".a\r\n", 8),
            (b"a\r\n..\r\n.\r\n", b"a\r\n.\r\n", 10),
            (b"a\r\n.\rb\r\n.\r\n", b"a\r\n\rb\r\n", 11),
            // A bare LF is not a line end on the wire (RFC 5321 §2.3.8): no unstuffing after it.
            (b"a\rb\n..\r\n.\r\n", b"a\rb\n..\r\n", 11),
            (b"x\r\r\n.\r\n", b"x\r\r\n", 7),
            (b"x.\r\n.\r\n", b"x.\r\n", 7),
        ];
        for (input, want, consumed) in cases {
            for i in 0..=input.len() {
                for j in i..=input.len() {
                    let (out, pos) = decode_split(input, &[i, j]);
                    assert_eq!(
                        &out,
                        want,
                        "{:?} split {i},{j}",
                        String::from_utf8_lossy(input)
                    );
                    assert_eq!(pos, *consumed);
                }
            }
        }
    }

    #[test]
    fn unterminated_is_not_done() {
        let mut d = DataDecoder::new();
        let mut out = Vec::new();
        let fed = d.feed(b"abc\r\n.\r", &mut out);
        assert!(!fed.done);
        assert_eq!(out, b"abc\r\n");
    }

    #[test]
    fn stuff_round_trips() {
        let msg = b".hidden\r\nline\r\n.\r\n..two\r\n";
        let mut wire = stuff(msg);
        wire.extend_from_slice(b".\r\n");
        let (out, _) = decode_split(&wire, &[]);
        assert_eq!(out, msg);
    }
}
