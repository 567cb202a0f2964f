//! Message content: segments, and how each one's bytes are re-encoded (transfer layouts).

use crate::types::BlobId;
use serde::{Deserialize, Serialize};

/// How a blob's bytes are turned back into the bytes of the original message.
///
/// Stored through [`TransferRecord`]: a quoted-printable layout that uses none of the rules
/// added after the first version is written exactly as before, so records written before and
/// after those rules were added decode the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TransferRecord", into = "TransferRecord")]
pub enum Transfer {
    /// The blob slice is the original bytes.
    Identity,
    /// The blob holds decoded bytes; the original is their base64 with `line_len` characters per
    /// line (0: one line), each line ended by CRLF (`crlf`) or LF, the last line ended too only if
    /// `final_eol`.
    Base64 {
        line_len: u32,
        crlf: bool,
        final_eol: bool,
    },
    /// The blob holds decoded bytes; the original is their quoted-printable (RFC 2045 §6.7) as
    /// [`crate::content::encode_qp`] writes it with this layout. A long body is cut into
    /// several such segments at encoded line boundaries, each re-encoding on its own.
    QuotedPrintable(QpLayout),
}

/// How decoded bytes are written as quoted-printable (see `content::qp` for the exact rules):
/// hard line breaks where the decoded bytes hold CRLF, encoded lines of at most `line_len`
/// characters (a soft break's `=` included), folded greedily or (`word_wrap`) after the last
/// space or tab that fits, each line ended by CRLF (`crlf`) or LF.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QpLayout {
    pub line_len: u32,
    pub crlf: bool,
    /// Whether the encoder lets the last character of a line use the column a soft break's
    /// `=` would need (it looks ahead to see that the line ends there); many encoders do not.
    pub lookahead: bool,
    /// Fold after the last space or tab on the line (Outlook and other MUAs) rather than at
    /// the last character that fits.
    pub word_wrap: bool,
    /// A soft break follows every escaped LF (`=0A`) that does not end a decoded line (how
    /// Outlook writes text attachments with bare LF line ends).
    pub lf_break: bool,
    /// A soft line break (`=` and the line ending) follows the last line: the segment ends
    /// where the body goes on in the next segment, from column 0.
    pub soft_end: bool,
    /// Else, a line ending follows that is not part of the decoded bytes (a body's last line
    /// break, which belongs to the multipart delimiter after it, RFC 2046 §5.1.1).
    pub final_eol: bool,
    /// An escape goes on a line when its first character fits (as a literal character would):
    /// a line may run up to two columns over `line_len` (Outlook Express and many bulk
    /// mailers). Layout version 2.
    pub overhang: bool,
    /// With word wrap, a space or tab written as it is goes on a line when it fits by itself:
    /// the soft break's `=` after it may run one column over `line_len`; a trailing space
    /// whose escape does not fit is not kept with a soft break (bulk HTML mailers).
    /// Layout version 2.
    pub space_hangs: bool,
    /// A space or tab ending a decoded line is written as it is, not escaped (against RFC
    /// 2045 §6.7 rule 3, but what many bulk mailers write). Layout version 2.
    pub trailing_ws: bool,
    /// Bit `b` set: the printable byte `b` (33..=126) is always escaped although it could
    /// stand for itself (`=22` for `"`, `=2E` for `.`, ...). Layout version 2.
    pub escape: u128,
}

impl QpLayout {
    /// Greedy folding at `line_len` with lookahead and none of the optional rules: RFC 2045's
    /// plain layout, the base the decoder and the other layouts start from.
    pub fn greedy(line_len: u32, crlf: bool, soft_end: bool, final_eol: bool) -> Self {
        Self {
            line_len,
            crlf,
            lookahead: true,
            word_wrap: false,
            lf_break: false,
            soft_end,
            final_eol,
            overhang: false,
            space_hangs: false,
            trailing_ws: false,
            escape: 0,
        }
    }
}

/// The stored form of [`Transfer`]. Postcard writes a struct's fields with no length or
/// names, so fields cannot be appended to a stored struct: a layout using a version-2 rule is
/// a variant appended at the end, and a version-1 layout keeps its original bytes.
#[derive(Serialize, Deserialize)]
enum TransferRecord {
    Identity,
    Base64 {
        line_len: u32,
        crlf: bool,
        final_eol: bool,
    },
    QuotedPrintable(QpLayoutV1),
    QuotedPrintableV2(QpLayout),
}

/// The first (version 1) stored form of a [`QpLayout`].
#[derive(Serialize, Deserialize)]
struct QpLayoutV1 {
    line_len: u32,
    crlf: bool,
    lookahead: bool,
    word_wrap: bool,
    lf_break: bool,
    soft_end: bool,
    final_eol: bool,
}

impl From<TransferRecord> for Transfer {
    fn from(r: TransferRecord) -> Self {
        match r {
            TransferRecord::Identity => Transfer::Identity,
            TransferRecord::Base64 {
                line_len,
                crlf,
                final_eol,
            } => Transfer::Base64 {
                line_len,
                crlf,
                final_eol,
            },
            TransferRecord::QuotedPrintable(l) => Transfer::QuotedPrintable(QpLayout {
                lookahead: l.lookahead,
                word_wrap: l.word_wrap,
                lf_break: l.lf_break,
                ..QpLayout::greedy(l.line_len, l.crlf, l.soft_end, l.final_eol)
            }),
            TransferRecord::QuotedPrintableV2(l) => Transfer::QuotedPrintable(l),
        }
    }
}

impl From<Transfer> for TransferRecord {
    fn from(t: Transfer) -> Self {
        match t {
            Transfer::Identity => TransferRecord::Identity,
            Transfer::Base64 {
                line_len,
                crlf,
                final_eol,
            } => TransferRecord::Base64 {
                line_len,
                crlf,
                final_eol,
            },
            Transfer::QuotedPrintable(l)
                if l.overhang || l.space_hangs || l.trailing_ws || l.escape != 0 =>
            {
                TransferRecord::QuotedPrintableV2(l)
            }
            Transfer::QuotedPrintable(l) => TransferRecord::QuotedPrintable(QpLayoutV1 {
                line_len: l.line_len,
                crlf: l.crlf,
                lookahead: l.lookahead,
                word_wrap: l.word_wrap,
                lf_break: l.lf_break,
                soft_end: l.soft_end,
                final_eol: l.final_eol,
            }),
        }
    }
}

/// One piece of a stored message. The message's bytes are the concatenation of its segments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Segment {
    /// Bytes kept in the message record itself (per-recipient prefix headers, tiny messages).
    Inline(Vec<u8>),
    /// `len` decoded bytes of `blob` from `offset`, re-encoded by `transfer` into `encoded_len`
    /// original bytes.
    Blob {
        blob: BlobId,
        offset: u64,
        len: u64,
        transfer: Transfer,
        encoded_len: u64,
    },
}

impl Segment {
    /// Bytes this segment contributes to the message.
    pub fn encoded_len(&self) -> u64 {
        match self {
            Segment::Inline(b) => b.len() as u64,
            Segment::Blob { encoded_len, .. } => *encoded_len,
        }
    }
}
