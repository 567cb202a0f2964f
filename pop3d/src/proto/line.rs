//! Splits the client's byte stream into command lines.
//!
//! Invariants: a line is returned without its line ending (CRLF, or a bare LF, which lenient
//! clients send); at most `max` bytes are ever buffered for an unfinished line, so a client that
//! never sends a line end cannot grow memory. An over-long line is reported once, when its end
//! finally arrives, so replies stay in step with pipelined commands (RFC 2449 §6.6).

/// One unit of client input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line without its CRLF.
    Complete(Vec<u8>),
    /// A line longer than the limit (its bytes were discarded).
    TooLong,
}

/// Accumulates bytes and hands out complete lines.
#[derive(Debug)]
pub struct LineReader {
    buf: Vec<u8>,
    max: usize,
    overflow: bool,
}

impl LineReader {
    /// A reader that rejects lines longer than `max` bytes (excluding the line end).
    pub fn new(max: usize) -> Self {
        Self {
            buf: Vec::new(),
            max,
            overflow: false,
        }
    }

    /// Adds received bytes.
    pub fn push(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Bytes received but not yet returned as a line (STLS refuses if any: RFC 2595 §4 /
    /// command injection).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// The next complete line, if one has arrived.
    pub fn next_line(&mut self) -> Option<Line> {
        let Some(end) = memchr::memchr(b'\n', &self.buf) else {
            if self.buf.len() > self.max + 1 {
                // Keep nothing of an over-long line; remember to report it at its end.
                self.overflow = true;
                self.buf.clear();
            }
            return None;
        };
        let mut line: Vec<u8> = self.buf.drain(..=end).collect();
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if std::mem::take(&mut self.overflow) || line.len() > self.max {
            return Some(Line::TooLong);
        }
        Some(Line::Complete(line))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize, split: usize) -> Vec<Line> {
        let mut r = LineReader::new(max);
        let mut out = Vec::new();
        for part in [&input[..split], &input[split..]] {
            r.push(part);
            while let Some(l) = r.next_line() {
                out.push(l);
            }
        }
        out
    }

    #[test]
    fn split_at_every_byte() {
        let c = |s: &str| Line::Complete(s.as_bytes().to_vec());
        let table: &[(&[u8], usize, Vec<Line>)] = &[
            (b"STAT\r\n", 16, vec![c("STAT")]),
            (b"STAT\nLIST 1\r\n", 16, vec![c("STAT"), c("LIST 1")]),
            (b"\r\n", 16, vec![c("")]),
            (b"NOOP", 16, vec![]),
            (
                b"0123456789ABCDEFG\r\nNOOP\r\n",
                16,
                vec![Line::TooLong, c("NOOP")],
            ),
            (b"0123456789ABCDEF\r\n", 16, vec![c("0123456789ABCDEF")]),
            (
                b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\r\nQUIT\r\n",
                16,
                vec![Line::TooLong, c("QUIT")],
            ),
            (b"A\rB\r\n", 16, vec![c("A\rB")]),
        ];
        for (input, max, want) in table {
            for split in 0..=input.len() {
                assert_eq!(&lines(input, *max, split), want, "{input:?} split {split}");
            }
        }
    }

    #[test]
    fn memory_stays_bounded() {
        let mut r = LineReader::new(16);
        for _ in 0..1000 {
            r.push(&[b'x'; 100]);
            assert_eq!(r.next_line(), None);
            assert!(r.buffered() <= 117);
        }
        r.push(b"\r\n");
        assert_eq!(r.next_line(), Some(Line::TooLong));
    }
}
