//! The mail-level data model shared by every backend and daemon (see `docs/storage.md`).
//!
//! Invariants every backend keeps:
//! - a mailbox's `messages`, `unseen` and `size` equal a recount of its messages after every
//!   committed change;
//! - a user's `bytes_used` equals the sum of `size` over all their messages;
//! - a blob's reference count equals the number of (message, blob) pairs that name it, plus
//!   explicit references taken with `blob_ref`.

use crate::types::{BlobId, MailboxId, ModSeq, ThreadId, Uid, UidValidity, UnixTime, UserId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// Users and addresses

/// A user account as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    /// Login name, Unicode NFC; unique case-insensitively.
    pub username: String,
    /// PHC string (argon2id for new users; imported bcrypt/pbkdf2/sha-crypt hashes verify too).
    pub password_hash: String,
    /// Storage quota in bytes; 0 means unlimited.
    pub quota: u64,
    /// Exact sum of the sizes of the user's messages.
    pub bytes_used: u64,
    pub disabled: bool,
    pub limits: UserLimits,
    /// 0 (deliver everything to INBOX) ..= 100 (route anything the filter flagged to Junk).
    pub spam_level: u8,
    pub created: UnixTime,
    /// Delivery filters, evaluated in order at ingest (see [`crate::filter`]).
    pub filters: Vec<Filter>,
}

/// Per-user limits; `None` means "use the server default".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLimits {
    pub imap_connections: Option<u32>,
    pub max_message_size: Option<u64>,
    /// Bytes a user may download over POP3 per day.
    pub pop3_daily_download: Option<u64>,
}

/// What `create_user` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub password_hash: String,
    pub quota: u64,
    pub limits: UserLimits,
    pub spam_level: u8,
}

/// A partial update of a user; `None` fields are left alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserUpdate {
    pub password_hash: Option<String>,
    pub quota: Option<u64>,
    pub disabled: Option<bool>,
    pub limits: Option<UserLimits>,
    pub spam_level: Option<u8>,
    /// Replaces the whole filter list.
    pub filters: Option<Vec<Filter>>,
}

/// A delivery filter in the style of WildDuck's: every condition given must match
/// (case-insensitive substring on decoded header values); the actions then apply.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    pub name: String,
    pub disabled: bool,
    pub query: FilterQuery,
    pub action: FilterAction,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterQuery {
    /// Substring of the From header.
    pub from: Option<String>,
    /// Substring of the To or Cc header.
    pub to: Option<String>,
    pub subject: Option<String>,
    /// Substring of any header field: (field name, substring).
    pub header: Option<(String, String)>,
    /// Size strictly above, in bytes.
    pub larger: Option<u64>,
    /// Size strictly below, in bytes.
    pub smaller: Option<u64>,
    pub has_attachment: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterAction {
    /// File into this mailbox path (if it exists; else the message goes where it would have).
    pub mailbox: Option<String>,
    pub seen: bool,
    pub flagged: bool,
    /// Drop the message (accepted, not stored).
    pub discard: bool,
}

/// A delivery address owned by a user, in normalised form (see [`crate::address`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Normalised: lower-cased NFC local part, `@`, Unicode domain. `*@domain` is a catch-all.
    pub address: String,
    pub user: UserId,
    /// The form the operator typed, for display.
    pub display: String,
}

// ---------------------------------------------------------------------------------------------
// Mailboxes

/// RFC 6154 special-use attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SpecialUse {
    All,
    Archive,
    Drafts,
    Flagged,
    Junk,
    Sent,
    Trash,
}

impl SpecialUse {
    /// The attribute as written in IMAP (`\Sent`).
    pub fn as_imap(self) -> &'static str {
        match self {
            SpecialUse::All => "\\All",
            SpecialUse::Archive => "\\Archive",
            SpecialUse::Drafts => "\\Drafts",
            SpecialUse::Flagged => "\\Flagged",
            SpecialUse::Junk => "\\Junk",
            SpecialUse::Sent => "\\Sent",
            SpecialUse::Trash => "\\Trash",
        }
    }

    /// Parses `\Sent` (case-insensitive, backslash optional).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.strip_prefix('\\').unwrap_or(s);
        Some(match s.to_ascii_lowercase().as_str() {
            "all" => SpecialUse::All,
            "archive" => SpecialUse::Archive,
            "drafts" => SpecialUse::Drafts,
            "flagged" => SpecialUse::Flagged,
            "junk" => SpecialUse::Junk,
            "sent" => SpecialUse::Sent,
            "trash" => SpecialUse::Trash,
            _ => return None,
        })
    }
}

/// The mailboxes every new user gets, in this order.
pub const DEFAULT_MAILBOXES: &[(&str, Option<SpecialUse>)] = &[
    ("INBOX", None),
    ("Sent", Some(SpecialUse::Sent)),
    ("Drafts", Some(SpecialUse::Drafts)),
    ("Trash", Some(SpecialUse::Trash)),
    ("Junk", Some(SpecialUse::Junk)),
    ("Archive", Some(SpecialUse::Archive)),
];

/// A mailbox with its counters, as of the transaction that read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    pub id: MailboxId,
    pub user: UserId,
    /// UTF-8 path with `/` as the hierarchy separator. `INBOX` is always spelled so.
    pub path: String,
    pub special_use: Option<SpecialUse>,
    pub uid_validity: UidValidity,
    /// The UID the next appended message will get.
    pub uid_next: Uid,
    /// The modseq of the latest change; a fresh mailbox has 1.
    pub highest_modseq: ModSeq,
    pub subscribed: bool,
    /// Messages older than this many days are expunged by the retention sweep; `None` keeps all.
    pub retention_days: Option<u32>,
    pub messages: u32,
    pub unseen: u32,
    /// Sum of message sizes in bytes.
    pub size: u64,
}

// ---------------------------------------------------------------------------------------------
// Flags

/// System flags as a bit set (RFC 3501 §2.3.2). `\Recent` is per session and never stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SystemFlags(pub u8);

impl SystemFlags {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// A message's flags: system flags plus keywords (case-preserved, compared case-insensitively by
/// the protocol layer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub system: SystemFlags,
    pub keywords: BTreeSet<String>,
}

impl Flags {
    pub fn seen(&self) -> bool {
        self.system.has(SystemFlags::SEEN)
    }

    pub fn deleted(&self) -> bool {
        self.system.has(SystemFlags::DELETED)
    }
}

/// How `set_flags` combines the given flags with the current ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}

// ---------------------------------------------------------------------------------------------
// Message content

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

// ---------------------------------------------------------------------------------------------
// Parsed structure

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

/// A whole blob not stored yet, in the form `MailStore::blob_put` takes (zstd-compressed
/// chunks): stored together with the write that first refers to it
/// (`MailStore::append_with_blobs`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingBlob {
    pub id: BlobId,
    /// Decoded bytes.
    pub size: u64,
    pub chunk_size: u32,
    pub chunks: Vec<Vec<u8>>,
}

/// What `append` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewMessage {
    pub flags: Flags,
    pub internal_date: UnixTime,
    /// The zone INTERNALDATE is shown in, minutes east of UTC.
    pub internal_tz_minutes: i16,
    pub segments: Vec<Segment>,
    /// Must equal the sum of the segments' encoded lengths.
    pub size: u64,
    /// SHA-256 of the message as received: every segment after the leading `Segment::Inline`
    /// prefix (the per-recipient Return-Path/Delivered-To lines LMTP prepends), so one hash
    /// covers the shared content of every recipient's copy. See [`crate::verify`].
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

impl NewMessage {
    /// The distinct blobs this message refers to (segments and the text blob).
    pub fn blobs(&self) -> BTreeSet<BlobId> {
        referenced_blobs(&self.segments, &self.meta)
    }
}

/// The distinct blobs a message holds one reference on each: those its segments name, plus its
/// text blob. The one rule every backend counts references by.
pub fn referenced_blobs(segments: &[Segment], meta: &MessageMeta) -> BTreeSet<BlobId> {
    let mut out: BTreeSet<BlobId> = segments
        .iter()
        .filter_map(|s| match s {
            Segment::Blob { blob, .. } => Some(*blob),
            Segment::Inline(_) => None,
        })
        .collect();
    out.extend(meta.text_blob);
    out
}

/// The light per-message record: what FETCH FLAGS, STATUS and sequence mapping need.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    pub uid: Uid,
    pub modseq: ModSeq,
    pub flags: Flags,
    pub internal_date: UnixTime,
    pub internal_tz_minutes: i16,
    pub size: u64,
    pub thread: ThreadId,
}

/// A message with everything stored about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub mailbox: MailboxId,
    pub summary: MessageSummary,
    pub segments: Vec<Segment>,
    pub sha256: [u8; 32],
    pub meta: MessageMeta,
}

/// Result of a successful append.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    pub mailbox: MailboxId,
    pub uid_validity: UidValidity,
    pub uid: Uid,
    pub modseq: ModSeq,
}

/// Result of `set_flags`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlagsChanged {
    /// Messages whose flags changed, with their new modseq and flags.
    pub changed: Vec<(Uid, ModSeq, Flags)>,
    /// Messages skipped because their modseq was above UNCHANGEDSINCE (RFC 7162 §3.2).
    pub modified: Vec<Uid>,
}

/// Result of `copy_messages` / `move_messages`: source UID → destination UID, in source order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub uid_validity: UidValidity,
    pub mapping: Vec<(Uid, Uid)>,
}

// ---------------------------------------------------------------------------------------------
// Journal and quota

/// One change, as journaled per mailbox in modseq order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    MailboxCreated { path: String },
    MailboxRenamed { from: String, to: String },
    MailboxDeleted { path: String },
    Added { uid: Uid, flags: Flags },
    Expunged { uid: Uid },
    FlagsChanged { uid: Uid, flags: Flags },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub mailbox: MailboxId,
    pub modseq: ModSeq,
    pub at: UnixTime,
    pub change: Change,
}

/// One entry of the store's outbox (see `MailStore::outbox_push`): an event recorded by one
/// process for others to deliver. `id`s increase in commit order; `claims` counts how often a
/// deliverer has claimed it (`MailStore::outbox_claim`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub id: u64,
    pub at: UnixTime,
    pub claims: u32,
    pub payload: Vec<u8>,
}

/// Notification that a mailbox changed; the journal is the source of truth, this is only a wake-up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreEvent {
    pub user: UserId,
    pub mailbox: MailboxId,
    pub modseq: ModSeq,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    /// 0 means unlimited.
    pub limit: u64,
    pub used: u64,
}

/// Stored facts about a blob.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobInfo {
    pub id: BlobId,
    /// Decoded size in bytes.
    pub size: u64,
    /// Decoded bytes per chunk (the last chunk may be shorter).
    pub chunk_size: u32,
    pub refs: u64,
    pub created: UnixTime,
}

/// What a sweep removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SweepStats {
    pub blobs: u64,
    pub chunks: u64,
    pub uploads: u64,
    pub journal_entries: u64,
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
