//! The splitter's state machine: a stack of frames (one per open part) fed line pieces.
//!
//! Rules for malformed mail (each keeps every byte, in order):
//! - a header block ends only at a blank line (or a boundary line of an open multipart, or the
//!   end of input): lines that are not fields stay in the block, as Dovecot and mail-parser do,
//!   so a message without the blank line is all header -- except that a delimiter line of the
//!   block's own multipart boundary ends the block and starts the body (the usual shape of a
//!   multipart whose blank line is missing);
//! - a boundary line of any open multipart closes every part inside it (RFC 2046 §5.1.2
//!   leniency); a multipart never closed runs to the end of its parent; text after the close
//!   delimiter is epilogue; a multipart without a boundary parameter is a leaf;
//! - `message/rfc822` is parsed as a nested message only with an identity transfer encoding;
//! - past `max_depth` open parts, multiparts and messages are leaves (opaque bodies);
//! - the line ending before a boundary belongs to the boundary (RFC 2046 §5.1.1) for the part
//!   offsets; in the outputs it stays with the body's run (a run may end with a line ending).

use super::body::{Coding, LeafOut};
use super::boundary::{self, Delim};
use super::headers::{self, RawField};
use super::lines::{self, Piece};
use super::text::LeafDecoder;
use super::{Limits, Output, address, meta};
use eider_model::{EmbeddedMessage, Envelope, MessageMeta, Part};

#[derive(Debug)]
enum Phase {
    Headers {
        buf: Vec<u8>,
        overflow: bool,
        /// Delimiter-like lines checked against the block so far (bounded: each check parses
        /// the block).
        probes: u8,
    },
    Leaf {
        out: LeafOut,
        dec: Box<LeafDecoder>,
        preview: Option<bool>,
    },
    Multipart {
        boundary: Vec<u8>,
        closed: bool,
    },
    Message,
}

#[derive(Debug)]
struct Frame {
    part: Part,
    phase: Phase,
    /// The part is a direct child of multipart/digest.
    digest_child: bool,
    /// The part is the root of a message (top level or inside message/rfc822).
    message_root: bool,
    envelope: Envelope,
    /// Line endings seen before the body started.
    start_lf: u64,
}

impl Frame {
    fn new(header_start: u64, digest_child: bool, message_root: bool) -> Self {
        Frame {
            part: Part {
                header_start,
                ..Part::default()
            },
            phase: Phase::Headers {
                buf: Vec::new(),
                overflow: false,
                probes: 0,
            },
            digest_child,
            message_root,
            envelope: Envelope::default(),
            start_lf: 0,
        }
    }
}

/// Where a closed body ends and how many lines it has.
#[derive(Clone, Copy, Debug)]
struct End {
    /// `Some(eol_start)` when closed by a boundary line whose preceding line ending starts there;
    /// `None` at the end of input.
    eol_before: Option<u64>,
    pos: u64,
    lf: u64,
}

/// Search text state shared by all leaves of a message.
#[derive(Debug, Default)]
pub(crate) struct TextState {
    pub budget: usize,
    pub preview_plain: String,
    pub preview_html: String,
    pub plain_claimed: bool,
    pub html_claimed: bool,
    pub has_attachments: bool,
}

#[derive(Debug)]
pub(crate) struct Core {
    limits: Limits,
    pos: u64,
    lf: u64,
    prev_eol_start: u64,
    last_cr: bool,
    finishing: bool,
    open_multiparts: usize,
    stack: Vec<Frame>,
    root: Option<Part>,
    top_fields: Vec<RawField>,
    text: TextState,
}

impl Core {
    pub(crate) fn new(limits: Limits) -> Self {
        let text = TextState {
            budget: limits.text_cap,
            ..TextState::default()
        };
        Core {
            limits,
            pos: 0,
            lf: 0,
            prev_eol_start: 0,
            last_cr: false,
            finishing: false,
            open_multiparts: 0,
            stack: vec![Frame::new(0, false, true)],
            root: None,
            top_fields: Vec::new(),
            text,
        }
    }

    /// Bytes consumed so far.
    pub(crate) fn pos(&self) -> u64 {
        self.pos
    }

    /// The next pieces are the last ones (an unterminated last line may be a delimiter).
    pub(crate) fn set_finishing(&mut self) {
        self.finishing = true;
    }

    /// Closes every open part at the end of input.
    pub(crate) fn close_all(&mut self, out: &mut impl FnMut(Output<'_>)) {
        let end = self.end_here(None);
        while !self.stack.is_empty() {
            self.close_top(end, out);
        }
    }

    /// The message metadata, once every part is closed.
    pub(crate) fn meta(&mut self) -> MessageMeta {
        let root = self.root.take().unwrap_or_default();
        meta::build(root, &self.top_fields, &self.text)
    }

    fn end_here(&self, eol_before: Option<u64>) -> End {
        End {
            eol_before,
            pos: self.pos,
            lf: self.lf,
        }
    }

    fn advance(&mut self, p: &Piece<'_>) {
        let len = p.bytes.len() as u64;
        self.pos += len;
        if p.eol {
            let cr = match p.bytes.len() {
                0 | 1 => self.last_cr,
                n => p.bytes[n - 2] == b'\r',
            };
            self.lf += 1;
            self.prev_eol_start = self.pos - 1 - u64::from(cr);
        }
        self.last_cr = p.bytes.last() == Some(&b'\r');
    }

    pub(crate) fn piece(&mut self, p: Piece<'_>, out: &mut impl FnMut(Output<'_>)) {
        if p.start
            && (p.eol || self.finishing)
            && self.open_multiparts > 0
            && self.boundary(&p, out)
        {
            return;
        }
        self.dispatch(p, out);
    }

    /// Handles `p` if it is a boundary line of an open multipart.
    fn boundary(&mut self, p: &Piece<'_>, out: &mut impl FnMut(Output<'_>)) -> bool {
        let line = lines::content(p.bytes);
        if !line.starts_with(b"--") {
            return false;
        }
        let found = self
            .stack
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, f)| match &f.phase {
                Phase::Multipart {
                    boundary,
                    closed: false,
                } => boundary::matches(line, boundary).map(|d| (i, d)),
                _ => None,
            });
        let Some((i, delim)) = found else {
            return false;
        };
        let end = self.end_here(Some(self.prev_eol_start).filter(|_| self.lf > 0));
        while self.stack.len() > i + 1 {
            self.close_top(end, out);
        }
        out(Output::Skeleton(p.bytes));
        self.advance(p);
        let digest = self
            .stack
            .last()
            .is_some_and(|f| f.part.media_subtype == "digest");
        if let Some(Frame {
            phase: Phase::Multipart { closed, .. },
            ..
        }) = self.stack.last_mut()
        {
            match delim {
                Delim::Part => self.stack.push(Frame::new(self.pos, digest, false)),
                Delim::Close => {
                    *closed = true;
                    self.open_multiparts = self.open_multiparts.saturating_sub(1);
                }
            }
        }
        true
    }

    fn dispatch(&mut self, p: Piece<'_>, out: &mut impl FnMut(Output<'_>)) {
        let Some(top) = self.stack.last_mut() else {
            out(Output::Skeleton(p.bytes));
            self.advance(&p);
            return;
        };
        match &mut top.phase {
            Phase::Headers {
                buf,
                overflow,
                probes,
            } => {
                if p.start && p.eol && lines::content(p.bytes).is_empty() {
                    out(Output::Skeleton(p.bytes));
                    self.advance(&p);
                    self.end_headers(self.pos);
                    return;
                }
                let c = lines::content(p.bytes);
                let probe = p.start && c.starts_with(b"--") && !c.contains(&b':') && *probes < 8;
                if probe {
                    *probes += 1;
                }
                if probe && own_delimiter(buf, c) {
                    // A delimiter-like line in a header block that lacks its blank line: the
                    // body (usually a multipart's first delimiter) starts here.
                    self.end_headers(self.pos);
                    return self.piece(p, out);
                }
                if *overflow || buf.len() + p.bytes.len() > self.limits.header_block_max {
                    *overflow = true;
                } else {
                    buf.extend_from_slice(p.bytes);
                }
                out(Output::Skeleton(p.bytes));
            }
            Phase::Leaf {
                out: lo,
                dec,
                preview,
            } => {
                lo.feed(p.bytes, out);
                if dec.wants_bytes() {
                    let text = &mut self.text;
                    let preview = *preview;
                    dec.feed(p.bytes, false, &mut |s| emit_text(text, s, preview, out));
                }
            }
            Phase::Multipart { .. } | Phase::Message => out(Output::Skeleton(p.bytes)),
        }
        self.advance(&p);
    }

    /// The top frame's header block ended; its body starts at `body_start`.
    fn end_headers(&mut self, body_start: u64) {
        let depth = self.stack.len();
        let max_depth = self.limits.max_depth;
        let threshold = self.limits.body_threshold;
        let lf = self.lf;
        let top_level = depth == 1;
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        let Phase::Headers { buf, .. } = &mut top.phase else {
            return;
        };
        let fields = headers::fields(buf);
        headers::apply(&mut top.part, &fields, top.digest_child);
        if top.message_root {
            top.envelope = address::envelope(&fields);
        }
        top.part.body_start = body_start;
        top.start_lf = lf;
        let part = &top.part;
        let boundary = part
            .params
            .iter()
            .find(|p| p.name == "boundary" && !p.value.is_empty())
            .map(|p| p.value.as_bytes().to_vec());
        let identity = matches!(part.encoding.as_str(), "7bit" | "8bit" | "binary");
        let nest_ok = depth < max_depth;
        top.phase = match (part.media_type.as_str(), boundary) {
            ("multipart", Some(boundary)) if nest_ok => {
                self.open_multiparts += 1;
                Phase::Multipart {
                    boundary,
                    closed: false,
                }
            }
            ("message", _) if part.media_subtype == "rfc822" && identity && nest_ok => {
                Phase::Message
            }
            _ => {
                let dec = Box::new(LeafDecoder::new(part));
                let preview = claim_preview(&mut self.text, part, &dec);
                Phase::Leaf {
                    out: LeafOut::new(Coding::of(&part.encoding), threshold),
                    dec,
                    preview,
                }
            }
        };
        if matches!(top.phase, Phase::Message) {
            self.stack.push(Frame::new(body_start, false, true));
        }
        if top_level {
            self.top_fields = fields;
        }
    }

    /// Closes the top frame at `end` and attaches its part to its parent.
    fn close_top(&mut self, end: End, out: &mut impl FnMut(Output<'_>)) {
        if matches!(
            self.stack.last().map(|f| &f.phase),
            Some(Phase::Headers { .. })
        ) {
            let depth = self.stack.len();
            // A header block cut off by a boundary line ends before the CRLF that belongs to
            // the delimiter (RFC 2046 §5.1.1), as Dovecot reads it: the MIME header section
            // then has no stray line end and the body is empty.
            let header_start = self.stack.last().map_or(0, |f| f.part.header_start);
            let header_end = end.eol_before.map_or(end.pos, |eol| eol.max(header_start));
            self.end_headers(header_end);
            if self.stack.len() > depth {
                // end_headers pushed an embedded message with no bytes: close it too.
                self.close_top(end, out);
            }
        }
        let Some(mut f) = self.stack.pop() else {
            return;
        };
        match &mut f.phase {
            Phase::Leaf {
                out: lo,
                dec,
                preview,
            } => {
                lo.finish(out);
                let preview = *preview;
                let text = &mut self.text;
                if dec.wants_bytes() {
                    dec.feed(&[], true, &mut |s| emit_text(text, s, preview, out));
                }
                if dec.is_text() {
                    // Keeps the last word of one part from running into the next one's first.
                    emit_text(text, "\n", None, out);
                }
                f.part.decoded_size = dec.decoded_size();
                let p = &f.part;
                if p.disposition.as_deref() == Some("attachment")
                    || !matches!(p.media_type.as_str(), "text" | "multipart" | "message")
                {
                    self.text.has_attachments = true;
                }
            }
            Phase::Multipart { closed: false, .. } => {
                self.open_multiparts = self.open_multiparts.saturating_sub(1)
            }
            _ => {}
        }
        let n = end.lf.saturating_sub(f.start_lf);
        let part = &mut f.part;
        match end.eol_before {
            Some(eol) => {
                part.body_end = eol.max(part.body_start);
                // body-fld-lines counts line ends inside the body, as Dovecot does:
                // the CRLF before the delimiter belongs to it (RFC 2046 §5.1.1), and an
                // unterminated last line is not counted.
                part.body_lines = n.saturating_sub(1);
            }
            None => {
                part.body_end = end.pos;
                part.body_lines = n;
            }
        }
        match self.stack.last_mut() {
            None => self.root = Some(f.part),
            Some(parent) => match parent.phase {
                Phase::Message => {
                    parent.part.message = Some(Box::new(EmbeddedMessage {
                        envelope: f.envelope,
                        root: f.part,
                    }))
                }
                _ => parent.part.children.push(f.part),
            },
        }
    }
}

/// Whether `line` is a delimiter of the boundary declared in the header block so far.
fn own_delimiter(block: &[u8], line: &[u8]) -> bool {
    let fields = headers::fields(block);
    let mut part = Part::default();
    headers::apply(&mut part, &fields, false);
    part.media_type == "multipart"
        && part
            .params
            .iter()
            .any(|p| p.name == "boundary" && boundary::matches(line, p.value.as_bytes()).is_some())
}

fn claim_preview(t: &mut TextState, part: &Part, dec: &LeafDecoder) -> Option<bool> {
    if part.media_type != "text" || part.disposition.as_deref() == Some("attachment") {
        return None;
    }
    match (part.media_subtype.as_str(), dec.is_html) {
        ("plain", _) if !t.plain_claimed => {
            t.plain_claimed = true;
            Some(false)
        }
        ("html", true) if !t.html_claimed => {
            t.html_claimed = true;
            Some(true)
        }
        _ => None,
    }
}

fn emit_text(t: &mut TextState, s: &str, preview: Option<bool>, out: &mut impl FnMut(Output<'_>)) {
    if let Some(html) = preview {
        let p = if html {
            &mut t.preview_html
        } else {
            &mut t.preview_plain
        };
        meta::extend_preview(p, s);
    }
    if t.budget == 0 || s.is_empty() {
        return;
    }
    let mut n = s.len().min(t.budget);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    t.budget -= n;
    if n > 0 {
        out(Output::Text(&s[..n]));
    }
}
