//! Streaming MIME splitter: turns a message arriving in chunks of any size into its part tree
//! ([`eider_model::MessageMeta`]) and a stream of [`Output`]s from which the ingest driver
//! builds the skeleton blob, the attachment blobs and the text blob.
//!
//! Invariants:
//! - Sans-I/O: [`Splitter::feed`] takes bytes and calls back with outputs; nothing is read or
//!   written here. State is O(nesting depth) plus bounded buffers (one line of at most
//!   [`Limits::line_cap`] bytes, one header block of at most [`Limits::header_block_max`] bytes,
//!   one small-body buffer of at most [`Limits::body_threshold`] bytes).
//! - Every input byte is accounted for exactly once, in order: as [`Output::Skeleton`] bytes, or
//!   inside a `BodyStart .. BodyEnd` run whose `Decoded` bytes re-encode (by the run's
//!   [`Transfer`], piece by piece when the run is cut by `Piece` outputs) to exactly the
//!   `encoded_len` original bytes. [`rebuild`] inverts this.
//! - The tree and the outputs (concatenated per kind) do not depend on how the input was chunked:
//!   every decision depends only on the bytes, never on where a chunk ended.
//! - Never panics on any input; malformed mail degrades (see `tree.rs` for the rules).

mod address;
mod base64;
mod body;
mod boundary;
mod date;
mod encoded_words;
mod headers;
mod html;
mod lines;
mod meta;
mod params;
mod qp;
mod qp_line;
mod rebuild;
mod splitter;
mod text;
mod tree;

pub mod qp_encode;

/// RFC 2047 decoding of a raw header value (API display of envelope names).
pub use encoded_words::decode as decode_header_value;
pub use rebuild::{Rebuilder, encode_base64_run, rebuild};
pub use splitter::Splitter;

use eider_model::{MessageMeta, Part, Transfer};

/// Adds `by` to every part offset (the driver prepends `by` bytes of per-recipient headers).
pub fn shift_offsets(meta: &mut MessageMeta, by: u64) {
    fn shift(p: &mut Part, by: u64) {
        p.header_start += by;
        p.body_start += by;
        p.body_end += by;
        for c in &mut p.children {
            shift(c, by);
        }
        if let Some(m) = &mut p.message {
            shift(&mut m.root, by);
        }
    }
    shift(&mut meta.root, by);
}

/// Tunables of the splitter. `Default` gives the production values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one header block that are parsed. Fields beyond it are kept byte-exact in the
    /// skeleton but not parsed (degrade, never an error: ingest must accept the mail).
    pub header_block_max: usize,
    /// A leaf body longer than this is emitted as a `BodyStart .. BodyEnd` run (its own blob).
    pub body_threshold: usize,
    /// Multipart / message nesting beyond this depth is treated as an opaque leaf body.
    pub max_depth: usize,
    /// UTF-8 bytes of text (`Output::Text`) emitted per message at most.
    pub text_cap: usize,
    /// Lines longer than this are handled in pieces of this size (never a boundary, never a
    /// header name); bounds the line buffer.
    pub line_cap: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_block_max: 256 * 1024,
            body_threshold: 2048,
            max_depth: 32,
            text_cap: 1024 * 1024,
            line_cap: 8192,
        }
    }
}

/// One piece of the splitter's output; see the module doc for the accounting invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output<'a> {
    /// Original bytes that belong to the skeleton (headers, boundaries, small or undecodable
    /// bodies).
    Skeleton(&'a [u8]),
    /// A large leaf body run starts; the following `Decoded` bytes go into one new blob.
    BodyStart,
    /// Decoded bytes of the current run.
    Decoded(&'a [u8]),
    /// The `Decoded` bytes since `BodyStart` (or the previous `Piece`) form one segment of the
    /// run's blob: they re-encode by `transfer` to `encoded_len` original bytes. The run goes on
    /// (quoted-printable bodies are cut at line boundaries so partial reads stay partial).
    Piece {
        transfer: Transfer,
        encoded_len: u64,
    },
    /// The run ends; its decoded bytes since `BodyStart` (or the last `Piece`) re-encode by
    /// `transfer` to `encoded_len` original bytes.
    BodyEnd {
        transfer: Transfer,
        encoded_len: u64,
    },
    /// UTF-8 text of a `text/plain` or `text/html` part (HTML crudely stripped of tags), for
    /// search; at most [`Limits::text_cap`] bytes per message in total.
    Text(&'a str),
}

/// What [`Splitter::finish`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedMessage {
    /// Everything parsed; `text_blob` is left `None` (the driver stores the text).
    pub meta: MessageMeta,
    /// Bytes fed in total.
    pub size: u64,
    /// Bytes emitted as `Output::Skeleton`.
    pub skeleton_len: u64,
    /// Number of `BodyStart .. BodyEnd` runs.
    pub runs: u32,
    /// UTF-8 bytes emitted as `Output::Text`.
    pub text_len: u64,
}

/// Failures of the splitter. Malformed mail is never an error; only a broken internal
/// invariant is (reported instead of panicking).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MimeError {
    /// The outputs did not account for every input byte exactly once.
    #[error("internal accounting error: {0}")]
    Accounting(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
