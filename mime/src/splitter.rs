//! The public face of the splitter: line assembly in front of the part state machine
//! ([`super::tree`]), with the accounting check (every input byte out exactly once).

use super::lines::{LineSplitter, Piece};
use super::tree::Core;
use super::{Limits, MimeError, Output, ParsedMessage};

/// Counts what went out, to check the accounting invariant.
#[derive(Debug, Default)]
struct Counters {
    skeleton: u64,
    encoded: u64,
    runs: u32,
    text: u64,
}

fn count(c: &mut Counters, o: &Output<'_>) {
    match o {
        Output::Skeleton(s) => c.skeleton += s.len() as u64,
        Output::BodyEnd { encoded_len, .. } => {
            c.encoded += encoded_len;
            c.runs += 1;
        }
        Output::Piece { encoded_len, .. } => c.encoded += encoded_len,
        Output::Text(t) => c.text += t.len() as u64,
        Output::BodyStart | Output::Decoded(_) => {}
    }
}

/// The streaming MIME splitter; see the module doc of [`crate::mime`].
///
/// ```
/// use eider_mime::{Limits, Output, Splitter};
/// let mut s = Splitter::new(Limits::default());
/// let mut skeleton = Vec::new();
/// let mut out = |o: Output<'_>| {
///     if let Output::Skeleton(b) = o {
///         skeleton.extend_from_slice(b)
///     }
/// };
/// s.feed(b"Subject: hi\r\n\r\nbo", &mut out);
/// s.feed(b"dy\r\n", &mut out);
/// let parsed = s.finish(&mut out).unwrap();
/// assert_eq!(parsed.meta.subject.as_deref(), Some("hi"));
/// assert_eq!(parsed.meta.root.body_start, 15);
/// assert_eq!(skeleton, b"Subject: hi\r\n\r\nbody\r\n");
/// ```
#[derive(Debug)]
pub struct Splitter {
    lines: LineSplitter,
    core: Core,
    counters: Counters,
}

impl Splitter {
    pub fn new(limits: Limits) -> Self {
        Splitter {
            lines: LineSplitter::new(limits.line_cap),
            core: Core::new(limits),
            counters: Counters::default(),
        }
    }

    /// Feeds the next chunk (any size, including empty); outputs go to `out` in input order.
    pub fn feed(&mut self, chunk: &[u8], out: &mut impl FnMut(Output<'_>)) {
        let counters = &mut self.counters;
        let core = &mut self.core;
        let mut counted = |o: Output<'_>| {
            count(counters, &o);
            out(o)
        };
        self.lines
            .feed(chunk, &mut |p: Piece<'_>| core.piece(p, &mut counted));
    }

    /// Ends the input: emits what is still held, closes every open part and returns the
    /// parsed message. Fails only if the accounting invariant broke (a bug, never bad input).
    pub fn finish(mut self, out: &mut impl FnMut(Output<'_>)) -> Result<ParsedMessage, MimeError> {
        let counters = &mut self.counters;
        let core = &mut self.core;
        let mut counted = |o: Output<'_>| {
            count(counters, &o);
            out(o)
        };
        core.set_finishing();
        self.lines
            .finish(&mut |p: Piece<'_>| core.piece(p, &mut counted));
        core.close_all(&mut counted);
        let c = &self.counters;
        let size = core.pos();
        if c.skeleton + c.encoded != size {
            return Err(MimeError::Accounting(format!(
                "{} skeleton + {} encoded bytes for {} input bytes",
                c.skeleton, c.encoded, size
            )));
        }
        Ok(ParsedMessage {
            meta: core.meta(),
            size,
            skeleton_len: c.skeleton,
            runs: c.runs,
            text_len: c.text,
        })
    }
}
