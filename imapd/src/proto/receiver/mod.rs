//! The byte-fed command receiver: frames lines and literals, parses complete commands, and
//! streams APPEND message literals (RFC 3501 §4.3, §7.5; RFC 7888 LITERAL+/LITERAL-).
//!
//! Invariants:
//! - the receiver never blocks and never performs I/O: `feed` appends bytes, `next` returns what
//!   can be decided from the bytes so far;
//! - an APPEND message literal is never buffered: it is yielded in the pieces that arrived;
//! - buffered command text (line plus non-APPEND literals) never exceeds `Limits::max_command`;
//! - every error leaves the receiver at the start of the next command (synchronising literals the
//!   client was refused are not expected; non-synchronising ones are read and discarded).

mod append;
mod literal;

use super::command::{self, Command};
use super::cursor::is_tag_char;
use super::error::{ErrorKind, ReceiveError};
use literal::{LiteralSuffix, literal_suffix};

/// RFC 7888 §4: the largest non-synchronising literal a LITERAL- server accepts.
pub const LITERAL_MINUS_MAX: u64 = 4096;

/// Size limits; all errors they cause are reported as values.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Longest command line, excluding literal data.
    pub max_line: usize,
    /// Largest literal inside a command other than an APPEND message.
    pub max_literal: u64,
    /// Largest command text including its (non-APPEND) literals.
    pub max_command: usize,
    /// Largest APPEND message (APPENDLIMIT, RFC 7889).
    pub max_append: u64,
    /// `true` if LITERAL+ is advertised (no size limit on `{n+}`); otherwise LITERAL- applies.
    pub literal_plus: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_line: 64 * 1024,
            max_literal: 64 * 1024,
            max_command: 256 * 1024,
            max_append: 64 * 1024 * 1024,
            literal_plus: false,
        }
    }
}

/// The start of an APPEND: everything before the message literal (RFC 3501 §6.3.11).
pub use super::command::append::AppendHeader;

/// What the receiver can tell from the bytes so far.
#[derive(Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// Feed more bytes.
    NeedMore,
    /// A synchronising literal of `size` bytes was announced: write `+ Ready` and call
    /// [`Receiver::accept_literal`] (the receiver waits until then).
    NeedsLiteral { size: u64 },
    /// A complete command.
    Command(Command),
    /// An APPEND header; the message follows as `AppendData` pieces then `AppendEnd`. When
    /// `header.synchronizing`, the session first calls `accept_literal` (after writing `+ Ready`)
    /// or `reject_literal` (after a tagged NO such as `[TRYCREATE]` or `[TOOBIG]`).
    Append(AppendHeader),
    /// The next piece of the APPEND message, borrowed until the next call.
    AppendData(&'a [u8]),
    /// The APPEND command is complete and well-formed: commit the message.
    AppendEnd,
    /// A line read in raw mode (AUTHENTICATE responses, IDLE's `DONE`), without CRLF. It may
    /// carry credentials: never log it.
    RawLine(Vec<u8>),
    /// A bad command; answer it and carry on (an APPEND in progress is abandoned).
    Error(ReceiveError),
}

/// What `advance` decided: APPEND data is returned as a length so the borrow is taken once.
enum Step {
    Data(usize),
    Done(Progress<'static>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Line,
    /// `NeedsLiteral` or a synchronising `Append` was returned; waiting for the session.
    WaitAccept {
        size: u64,
        append: bool,
    },
    Literal {
        remaining: u64,
    },
    AppendData {
        remaining: u64,
    },
    /// After the message literal: the rest of the APPEND line.
    AppendTail,
    /// Discarding a refused non-synchronising literal, then the rest of its line.
    Discard {
        remaining: u64,
    },
    SkipLine,
    RawLine,
}

/// Turns client bytes into commands. See the module doc for the invariants.
#[derive(Debug)]
pub struct Receiver {
    limits: Limits,
    buf: Vec<u8>,
    /// Bytes of `buf` already consumed.
    pos: usize,
    /// Bytes lent out by the last `AppendData`, consumed at the next call.
    lent: usize,
    /// `buf[pos..scanned]` is known to contain no LF.
    scanned: usize,
    /// The command so far: lines and literals, canonicalised for the parser.
    cmd: Vec<u8>,
    state: State,
    /// Tag and UTF8 form of the APPEND in progress.
    append: Option<(String, bool)>,
    /// The last bytes of the line being skipped (`State::SkipLine`).
    skip_tail: Vec<u8>,
}

impl Receiver {
    pub fn new(limits: Limits) -> Self {
        Receiver {
            limits,
            buf: Vec::new(),
            pos: 0,
            lent: 0,
            scanned: 0,
            cmd: Vec::new(),
            state: State::Line,
            append: None,
            skip_tail: Vec::new(),
        }
    }

    /// Changes the limits (e.g. per-user APPENDLIMIT after login).
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Adds bytes read from the client.
    pub fn feed(&mut self, data: &[u8]) {
        self.settle();
        if self.pos > 0 && self.pos * 2 >= self.buf.len() {
            self.buf.drain(..self.pos);
            self.scanned -= self.pos;
            self.pos = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Releases the input buffer's memory when everything in it was consumed and it grew
    /// beyond a command line's usual size (after a literal), so idle connections stay small.
    pub fn shrink(&mut self) {
        self.settle();
        if self.pos == self.buf.len() && self.buf.capacity() > 8 * 1024 {
            self.buf = Vec::new();
            self.pos = 0;
            self.scanned = 0;
        }
        if self.cmd.is_empty() && self.cmd.capacity() > 8 * 1024 {
            self.cmd = Vec::new();
        }
    }

    /// Bytes fed but not yet consumed (e.g. to hand to a TLS or COMPRESS layer after the
    /// command that switches it on).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        self.settle();
        let rest = self.buf.split_off(self.pos);
        self.buf.clear();
        self.pos = 0;
        self.scanned = 0;
        rest
    }

    /// Whether bytes beyond the last decided command are buffered. After STARTTLS the driver
    /// must refuse to start TLS if this is true: those bytes were pipelined in clear text and
    /// would otherwise be taken as protected commands (command injection).
    pub fn has_buffered(&self) -> bool {
        self.pos + self.lent < self.buf.len()
    }

    /// The continuation for the announced literal was sent; read its bytes.
    pub fn accept_literal(&mut self) {
        if let State::WaitAccept { size, append } = self.state {
            self.state = if append {
                State::AppendData { remaining: size }
            } else {
                State::Literal { remaining: size }
            };
        }
    }

    /// The command was answered (refused) already: a synchronising literal the client was not
    /// invited to send is forgotten; the rest of a non-synchronising APPEND message (and of its
    /// line) is read and dropped without further events, so the session answers only once.
    pub fn reject_literal(&mut self) {
        match self.state {
            State::WaitAccept { .. } => self.reset(),
            State::AppendData { remaining } => {
                self.reset();
                self.state = State::Discard { remaining };
            }
            _ => {}
        }
    }

    /// Reads the next line raw (AUTHENTICATE client responses, IDLE's `DONE`).
    pub fn read_raw_line(&mut self) {
        if self.state == State::Line && self.cmd.is_empty() {
            self.state = State::RawLine;
        }
    }

    fn settle(&mut self) {
        self.pos += self.lent;
        self.lent = 0;
        self.scanned = self.scanned.max(self.pos);
    }

    fn reset(&mut self) {
        self.skip_tail.clear();
        self.cmd.clear();
        self.append = None;
        self.state = State::Line;
    }

    fn available(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Decides what the bytes so far mean.
    // Not an Iterator: the returned value borrows the receiver's buffer.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Progress<'_> {
        self.settle();
        match self.advance() {
            Step::Data(n) => {
                self.lent = n;
                Progress::AppendData(&self.buf[self.pos..self.pos + n])
            }
            Step::Done(p) => p,
        }
    }

    fn advance(&mut self) -> Step {
        loop {
            match self.state.clone() {
                State::WaitAccept { .. } => return Step::Done(Progress::NeedMore),
                State::Literal { remaining: 0 } => self.state = State::Line,
                State::Literal { remaining } => {
                    let n = self.take_count(remaining);
                    if n == 0 {
                        return Step::Done(Progress::NeedMore);
                    }
                    self.cmd
                        .extend_from_slice(&self.buf[self.pos..self.pos + n]);
                    self.pos += n;
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::Line
                    } else {
                        State::Literal { remaining }
                    };
                }
                State::Discard { remaining } => {
                    let n = self.take_count(remaining);
                    if n == 0 {
                        return Step::Done(Progress::NeedMore);
                    }
                    self.pos += n;
                    let remaining = remaining - n as u64;
                    self.state = if remaining == 0 {
                        State::SkipLine
                    } else {
                        State::Discard { remaining }
                    };
                }
                State::AppendData { remaining } => {
                    if remaining == 0 {
                        self.state = State::AppendTail;
                        continue;
                    }
                    let n = self.take_count(remaining);
                    if n == 0 {
                        return Step::Done(Progress::NeedMore);
                    }
                    self.state = State::AppendData {
                        remaining: remaining - n as u64,
                    };
                    return Step::Data(n);
                }
                State::SkipLine => {
                    let Some(end) = self.find_lf() else {
                        self.remember_tail(self.buf.len());
                        self.pos = self.buf.len();
                        return Step::Done(Progress::NeedMore);
                    };
                    self.remember_tail(end);
                    self.pos = end + 1;
                    let tail = std::mem::take(&mut self.skip_tail);
                    let tail = tail.strip_suffix(b"\r").unwrap_or(&tail);
                    self.reset();
                    // A skipped line that announced a non-synchronising literal is followed by
                    // its bytes, which must not be read as commands.
                    if let Some(lit) = literal_suffix(tail).filter(|l| l.nonsync) {
                        self.state = State::Discard {
                            remaining: lit.size,
                        };
                    }
                }
                State::RawLine => {
                    let Some(line) = self.take_line() else {
                        if self.available() > self.limits.max_line + 1 {
                            self.state = State::SkipLine;
                            return Step::Done(self.error(None, ErrorKind::LineTooLong));
                        }
                        return Step::Done(Progress::NeedMore);
                    };
                    self.state = State::Line;
                    return Step::Done(Progress::RawLine(line));
                }
                State::AppendTail => {
                    let Some(line) = self.take_line() else {
                        return Step::Done(self.line_pending());
                    };
                    return Step::Done(self.append_tail(&line));
                }
                State::Line => {
                    let Some(line) = self.take_line() else {
                        return Step::Done(self.line_pending());
                    };
                    if let Some(p) = self.line(line) {
                        return Step::Done(p);
                    }
                }
            }
        }
    }

    /// Keeps the last bytes of a line being skipped, enough to see a literal announcement.
    fn remember_tail(&mut self, end: usize) {
        const KEEP: usize = 24;
        self.skip_tail.extend_from_slice(&self.buf[self.pos..end]);
        if self.skip_tail.len() > KEEP {
            self.skip_tail.drain(..self.skip_tail.len() - KEEP);
        }
    }

    fn take_count(&self, remaining: u64) -> usize {
        usize::try_from(remaining).map_or(self.available(), |r| r.min(self.available()))
    }

    fn find_lf(&mut self) -> Option<usize> {
        let from = self.scanned.max(self.pos);
        match self.buf[from..].iter().position(|&b| b == b'\n') {
            Some(i) => Some(from + i),
            None => {
                self.scanned = self.buf.len();
                None
            }
        }
    }

    /// The next line without its CRLF (a bare LF is accepted too).
    fn take_line(&mut self) -> Option<Vec<u8>> {
        let end = self.find_lf()?;
        let mut line = self.buf[self.pos..end].to_vec();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        self.pos = end + 1;
        Some(line)
    }

    fn line_pending(&mut self) -> Progress<'static> {
        // +1: the CR of a line of exactly `max_line` bytes may have arrived without its LF.
        if self.available() <= self.limits.max_line + 1 {
            return Progress::NeedMore;
        }
        let tag = self.tag_of(&self.buf[self.pos..]);
        self.state = State::SkipLine;
        self.error(tag, ErrorKind::LineTooLong)
    }

    fn error(&mut self, tag: Option<String>, kind: ErrorKind) -> Progress<'static> {
        if !matches!(self.state, State::SkipLine | State::Discard { .. }) {
            self.reset();
        } else {
            self.cmd.clear();
            self.append = None;
        }
        Progress::Error(ReceiveError { tag, kind })
    }

    /// The tag at the start of the command (or of `line` when no command text is buffered).
    fn tag_of(&self, line: &[u8]) -> Option<String> {
        if let Some((tag, _)) = &self.append {
            return Some(tag.clone());
        }
        let src = if self.cmd.is_empty() { line } else { &self.cmd };
        let n = src
            .iter()
            .take_while(|&&b| is_tag_char(b) && b < 0x80)
            .count();
        if n == 0 || !matches!(src.get(n), None | Some(b' ')) {
            return None;
        }
        Some(String::from_utf8_lossy(&src[..n]).into_owned())
    }

    /// Handles one complete line in `State::Line`; `None` means keep going.
    fn line(&mut self, line: Vec<u8>) -> Option<Progress<'static>> {
        if line.is_empty() && self.cmd.is_empty() {
            // Stray CRLF between commands: ignored, as clients send them after literals.
            return None;
        }
        let lit = literal_suffix(&line);
        let too_long = if line.len() > self.limits.max_line {
            Some(ErrorKind::LineTooLong)
        } else if self.cmd.len() + line.len() > self.limits.max_command {
            Some(ErrorKind::CommandTooLong)
        } else {
            None
        };
        if let Some(kind) = too_long {
            let tag = self.tag_of(&line);
            return Some(match lit {
                Some(lit) => self.refuse(tag, lit, kind),
                None => {
                    self.reset();
                    self.error(tag, kind)
                }
            });
        }
        let Some(lit) = lit else {
            self.cmd.extend_from_slice(&line);
            let result = command::parse(&self.cmd);
            self.reset();
            return Some(match result {
                Ok(c) => Progress::Command(c),
                Err(e) => Progress::Error(e),
            });
        };
        self.cmd.extend_from_slice(&line[..lit.start]);
        if let Some(header) =
            command::append::parse_prefix(&self.cmd, lit.size, !lit.nonsync, lit.binary)
        {
            return Some(self.start_append(header, lit));
        }
        let tag = self.tag_of(&line);
        if tag.is_none() {
            // Do not invite a literal (`+ Ready`) for something that cannot be a command.
            return Some(self.refuse(tag, lit, ErrorKind::Syntax("missing tag")));
        }
        if lit.binary {
            return Some(self.refuse(tag, lit, ErrorKind::Syntax("literal8 not allowed here")));
        }
        if lit.nonsync && !self.limits.literal_plus && lit.size > LITERAL_MINUS_MAX {
            let kind = ErrorKind::NonSyncLiteralTooLarge {
                size: lit.size,
                in_append: false,
            };
            return Some(self.refuse(tag, lit, kind));
        }
        if lit.size > self.limits.max_literal {
            let kind = ErrorKind::LiteralTooLarge {
                size: lit.size,
                max: self.limits.max_literal,
            };
            return Some(self.refuse(tag, lit, kind));
        }
        if self.cmd.len() as u64 + lit.size > self.limits.max_command as u64 {
            return Some(self.refuse(tag, lit, ErrorKind::CommandTooLong));
        }
        self.cmd
            .extend_from_slice(format!("{{{}}}\r\n", lit.size).as_bytes());
        if lit.nonsync {
            self.state = State::Literal {
                remaining: lit.size,
            };
            return None;
        }
        self.state = State::WaitAccept {
            size: lit.size,
            append: false,
        };
        Some(Progress::NeedsLiteral { size: lit.size })
    }

    /// Refuses a literal: a synchronising one is never sent, a non-synchronising one is skipped.
    fn refuse(
        &mut self,
        tag: Option<String>,
        lit: LiteralSuffix,
        kind: ErrorKind,
    ) -> Progress<'static> {
        if lit.nonsync {
            self.state = State::Discard {
                remaining: lit.size,
            };
        } else {
            self.reset();
        }
        self.error(tag, kind)
    }
}

#[cfg(test)]
mod tests;
