//! Streaming transforms for RETR and TOP bodies: dot-stuffing and the TOP line limit.
//!
//! Both keep O(1) state between windows, so a message of any size passes through in fixed-size
//! windows and is never held whole.
//!
//! Line ends: a line ends at LF (a CRLF pair or a bare LF). Treating a bare LF as a line end when
//! stuffing is the safe choice: clients that split on LF (Python's `poplib`, many others) would
//! otherwise read a stored `\n.\r\n` as the end of the response. Messages arriving over LMTP are
//! CRLF throughout, so this only matters for imported mail.

/// Dot-stuffs message bytes for a multi-line response (RFC 1939 §3: a line starting with `.`
/// gets one more `.`) and terminates it.
#[derive(Debug)]
pub struct DotStuffer {
    line_start: bool,
}

impl Default for DotStuffer {
    fn default() -> Self {
        Self { line_start: true }
    }
}

impl DotStuffer {
    /// Appends the stuffed form of `input` to `out`.
    pub fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>) {
        while !input.is_empty() {
            if self.line_start && input[0] == b'.' {
                out.push(b'.');
            }
            match memchr::memchr(b'\n', input) {
                Some(i) => {
                    out.extend_from_slice(&input[..=i]);
                    input = &input[i + 1..];
                    self.line_start = true;
                }
                None => {
                    out.extend_from_slice(input);
                    self.line_start = false;
                    return;
                }
            }
        }
    }

    /// Ends the response: a CRLF if the message did not end with a line end (the terminator
    /// must start a line), then `.` CRLF.
    pub fn finish(self, out: &mut Vec<u8>) {
        if !self.line_start {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b".\r\n");
    }
}

/// Cuts a message after its header, the blank line and `lines` body lines (RFC 1939 §7 TOP).
#[derive(Debug)]
pub struct TopFilter {
    in_body: bool,
    lines_left: u32,
    /// Bytes of the current header line seen so far, capped (only "blank or not" matters).
    line_len: u8,
    /// The current header line started with CR.
    first_cr: bool,
    done: bool,
}

impl TopFilter {
    pub fn new(lines: u32) -> Self {
        Self {
            in_body: false,
            lines_left: lines,
            line_len: 0,
            first_cr: false,
            done: false,
        }
    }

    /// True once everything TOP sends has been passed; the rest of the message need not be read.
    pub fn done(&self) -> bool {
        self.done
    }

    /// How many leading bytes of `input` (the next window of the message) TOP sends.
    pub fn take(&mut self, input: &[u8]) -> usize {
        let mut pos = 0;
        while pos < input.len() && !self.done {
            if self.in_body {
                if self.lines_left == 0 {
                    self.done = true;
                    break;
                }
                match memchr::memchr(b'\n', &input[pos..]) {
                    Some(i) => {
                        pos += i + 1;
                        self.lines_left -= 1;
                    }
                    None => pos = input.len(),
                }
                continue;
            }
            let b = input[pos];
            pos += 1;
            if b == b'\n' {
                // A header line that was empty (or just CR) is the separator (RFC 5322 §2.1).
                if self.line_len == 0 || (self.line_len == 1 && self.first_cr) {
                    self.in_body = true;
                    self.done = self.lines_left == 0;
                }
                self.line_len = 0;
            } else {
                if self.line_len == 0 {
                    self.first_cr = b == b'\r';
                }
                self.line_len = self.line_len.saturating_add(1);
            }
        }
        pos
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn stuff(input: &[u8], split: usize) -> Vec<u8> {
        let mut s = DotStuffer::default();
        let mut out = Vec::new();
        s.push(&input[..split], &mut out);
        s.push(&input[split..], &mut out);
        s.finish(&mut out);
        out
    }

    #[test]
    fn dot_stuffing_split_at_every_byte() {
        let table: &[(&[u8], &[u8])] = &[
            (b"", b".\r\n"),
            (b"a\r\n", b"a\r\n.\r\n"),
            (b"a", b"a\r\n.\r\n"),
            (b".\r\n", b"..\r\n.\r\n"),
            (b"a\r\n.b\r\n..c\r\n", b"a\r\n..b\r\n...c\r\n.\r\n"),
            (b"x.y\r\n", b"x.y\r\n.\r\n"),
            (b"a\n.\n", b"a\n..\n.\r\n"),
            (b"a\r\n.", b"a\r\n..\r\n.\r\n"),
        ];
        for (input, want) in table {
            for split in 0..=input.len() {
                assert_eq!(stuff(input, split), *want, "{input:?} split {split}");
            }
        }
    }

    fn top(input: &[u8], lines: u32, window: usize) -> Vec<u8> {
        let mut f = TopFilter::new(lines);
        let mut out = Vec::new();
        for w in input.chunks(window.max(1)) {
            let n = f.take(w);
            out.extend_from_slice(&w[..n]);
            if f.done() {
                break;
            }
        }
        out
    }

    #[test]
    fn top_cuts_at_every_window_size() {
        let msg: &[u8] = b"Subject: x\r\nFrom: y\r\n\r\nl1\r\nl2\r\nl3";
        let table: &[(&[u8], u32, &[u8])] = &[
            (msg, 0, b"Subject: x\r\nFrom: y\r\n\r\n"),
            (msg, 1, b"Subject: x\r\nFrom: y\r\n\r\nl1\r\n"),
            (msg, 2, b"Subject: x\r\nFrom: y\r\n\r\nl1\r\nl2\r\n"),
            (msg, 3, msg),
            (msg, 99, msg),
            (b"A: b\n\nbody\nmore\n", 1, b"A: b\n\nbody\n"),
            (b"A: b\r\n", 0, b"A: b\r\n"),
            (b"\r\nbody\r\n", 0, b"\r\n"),
            (b"A: b\r\nC: d", 5, b"A: b\r\nC: d"),
        ];
        for (input, lines, want) in table {
            for window in 1..=input.len() + 1 {
                assert_eq!(
                    top(input, *lines, window),
                    *want,
                    "{input:?} {lines} w{window}"
                );
            }
        }
    }
}
