//! Output policy for one leaf body: bodies up to the threshold go to the skeleton whole (held
//! in a buffer of at most `threshold` bytes until their size is known); larger ones become a
//! run: base64 through the strict run decoder ([`super::base64::B64Run`]), quoted-printable
//! through [`super::qp::QpRun`], anything else as an identity run. The decision depends only on the body's bytes.

use super::Output;
use super::base64::B64Run;
use super::qp::QpRun;
use eider_model::Transfer;

#[derive(Debug)]
enum Mode {
    Small(Vec<u8>),
    Identity(u64),
    Base64(B64Run),
    /// Boxed: its state (two line buffers, the folding rules) dwarfs the other modes.
    Qp(Box<QpRun>),
}

/// The Content-Transfer-Encodings a run decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Base64,
    QuotedPrintable,
    /// Anything else: kept as it is.
    Other,
}

impl Coding {
    /// From a lower-cased Content-Transfer-Encoding value.
    pub(crate) fn of(encoding: &str) -> Self {
        match encoding {
            "base64" => Coding::Base64,
            "quoted-printable" => Coding::QuotedPrintable,
            _ => Coding::Other,
        }
    }
}

#[derive(Debug)]
pub(crate) struct LeafOut {
    mode: Mode,
    coding: Coding,
    threshold: usize,
}

impl LeafOut {
    pub(crate) fn new(coding: Coding, threshold: usize) -> Self {
        LeafOut {
            mode: Mode::Small(Vec::new()),
            coding,
            threshold,
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8], out: &mut impl FnMut(Output<'_>)) {
        match &mut self.mode {
            Mode::Small(buf) if buf.len() + bytes.len() <= self.threshold => {
                buf.extend_from_slice(bytes);
            }
            Mode::Small(buf) => {
                let held = std::mem::take(buf);
                match self.coding {
                    Coding::Base64 => {
                        let mut run = B64Run::new();
                        run.feed(&held, out);
                        run.feed(bytes, out);
                        self.mode = Mode::Base64(run);
                    }
                    Coding::QuotedPrintable => {
                        let mut run = Box::new(QpRun::new());
                        run.feed(&held, out);
                        run.feed(bytes, out);
                        self.mode = Mode::Qp(run);
                    }
                    Coding::Other => {
                        out(Output::BodyStart);
                        out(Output::Decoded(&held));
                        out(Output::Decoded(bytes));
                        self.mode = Mode::Identity((held.len() + bytes.len()) as u64);
                    }
                }
            }
            Mode::Identity(n) => {
                out(Output::Decoded(bytes));
                *n += bytes.len() as u64;
            }
            Mode::Base64(run) => run.feed(bytes, out),
            Mode::Qp(run) => run.feed(bytes, out),
        }
    }

    pub(crate) fn finish(&mut self, out: &mut impl FnMut(Output<'_>)) {
        match &mut self.mode {
            Mode::Small(buf) => {
                if !buf.is_empty() {
                    out(Output::Skeleton(buf));
                }
            }
            Mode::Identity(n) => out(Output::BodyEnd {
                transfer: Transfer::Identity,
                encoded_len: *n,
            }),
            Mode::Base64(run) => run.finish(out),
            Mode::Qp(run) => run.finish(out),
        }
        self.mode = Mode::Small(Vec::new());
    }
}
