//! The parsed structure of a message: part tree, envelope, header fields (RFC 3501 §7.4.2).

use crate::types::{BlobId, UnixTime};
use serde::{Deserialize, Serialize};

/// A header parameter after RFC 2231 continuation joining and charset decoding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// Lower-cased attribute name.
    pub name: String,
    pub value: String,
}

/// An address as IMAP's ENVELOPE structure carries it (RFC 3501 §7.4.2). Raw header bytes (not
/// RFC 2047 decoded). A group start has `host: None` and `mailbox: Some(group name)`; a group end
/// has every field `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeAddress {
    pub name: Option<Vec<u8>>,
    pub adl: Option<Vec<u8>>,
    pub mailbox: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
}

/// The ENVELOPE of a message (RFC 3501 §7.4.2), raw header values with folding removed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<EnvelopeAddress>,
    pub sender: Vec<EnvelopeAddress>,
    pub reply_to: Vec<EnvelopeAddress>,
    pub to: Vec<EnvelopeAddress>,
    pub cc: Vec<EnvelopeAddress>,
    pub bcc: Vec<EnvelopeAddress>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
}

/// One MIME part. Offsets are byte positions in the message as served (including any
/// per-recipient prefix); `header_start..body_start` is the header block including the blank line
/// that ends it, `body_start..body_end` the body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub header_start: u64,
    pub body_start: u64,
    pub body_end: u64,
    /// Lower-cased media type and subtype (`text`, `plain`); defaults applied per RFC 2045 §5.2.
    pub media_type: String,
    pub media_subtype: String,
    pub params: Vec<Param>,
    pub content_id: Option<String>,
    pub description: Option<String>,
    /// Content-Transfer-Encoding as written (`7bit` when absent), lower-cased.
    pub encoding: String,
    pub disposition: Option<String>,
    pub disposition_params: Vec<Param>,
    pub language: Vec<String>,
    pub location: Option<String>,
    pub md5: Option<String>,
    /// Lines in the body as IMAP counts them.
    pub body_lines: u64,
    /// Decoded size, when the body was decoded.
    pub decoded_size: Option<u64>,
    /// Sub-parts of a multipart.
    pub children: Vec<Part>,
    /// The encapsulated message of a `message/rfc822` part.
    pub message: Option<Box<EmbeddedMessage>>,
}

/// What a `message/rfc822` part encapsulates.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbeddedMessage {
    pub envelope: Envelope,
    pub root: Part,
}

/// One header field of the top-level message for SEARCH: name lower-cased, value unfolded and
/// RFC 2047-decoded to UTF-8.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderField {
    pub name: String,
    pub value: String,
}

/// Everything parsed out of a message once, at ingest, so reads never parse again.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageMeta {
    pub root: Part,
    pub envelope: Envelope,
    pub headers: Vec<HeaderField>,
    /// Message-ID without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Decoded subject for display and threading.
    pub subject: Option<String>,
    /// The Date header as a timestamp, if it parsed.
    pub sent_date: Option<UnixTime>,
    pub has_attachments: bool,
    /// A blob with the UTF-8 text of the text parts, for body search and previews.
    pub text_blob: Option<BlobId>,
    /// First characters of the text, for message lists.
    pub preview: String,
}
