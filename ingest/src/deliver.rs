//! Per-recipient delivery: recipient checks at RCPT, routing (spam → Junk, `+tag` filing), and the
//! personalised message record (Return-Path / Delivered-To prefix) each recipient gets.
//!
//! The content of a message is prepared (parsed, blobs written) once per transaction; each
//! recipient's record refers to the same blobs, with its own inline prefix segment.

use eider_model::types::MailboxId;
use eider_model::{Flags, HeaderField, NewMessage, Segment, SpecialUse, SystemFlags, User};
use eider_store::MailStore;
use eider_store::StoreError;
use eider_store::StoreResult;
use eider_store::address;
use eider_store::filter;
use eider_store::ingest::Prepared;

use crate::lmtp::reply::{Reply, canned};

/// What we know about an accepted recipient.
#[derive(Clone, Debug)]
pub struct Recipient {
    /// Normalised address as given in RCPT TO.
    pub address: String,
    pub user: User,
}

/// How spam verdicts of the MTA's filter are read (see `config.example.toml`, `[lmtp]`).
#[derive(Clone, Debug)]
pub struct SpamRules {
    /// Header whose value marks spam, e.g. `X-Spam-Flag`.
    pub flag_header: String,
    /// Value of `flag_header` meaning spam, compared case-insensitively, e.g. `YES`.
    pub flag_value: String,
    /// Header holding a numeric score, e.g. `X-Spam-Score` or `X-Rspamd-Score`.
    pub score_header: String,
}

/// Resolves and checks one RCPT TO. `Err` carries the reply to send.
pub async fn check_recipient(
    store: &dyn MailStore,
    to: &str,
    declared_size: Option<u64>,
    max_message_size: u64,
) -> Result<Recipient, Reply> {
    let Ok(normalized) = address::normalize(to) else {
        return Err(Reply::with(501, (5, 1, 3), "Bad recipient address syntax"));
    };
    let user = match address::resolve(store, &normalized).await {
        Ok(Some(id)) => store.get_user(id).await,
        Ok(None) => return Err(canned::unknown_user()),
        Err(e) => Err(e),
    };
    let user = match user {
        Ok(Some(u)) => u,
        Ok(None) => return Err(canned::unknown_user()),
        Err(e) => {
            tracing::warn!(error = %e, "recipient lookup failed");
            return Err(canned::temp_failure());
        }
    };
    if user.disabled {
        return Err(Reply::with(550, (5, 2, 1), "Mailbox disabled"));
    }
    let limit = user.limits.max_message_size.unwrap_or(max_message_size);
    if let Some(size) = declared_size {
        if size > limit {
            return Err(canned::too_large());
        }
        if user.quota > 0 && user.bytes_used.saturating_add(size) > user.quota {
            return Err(canned::over_quota());
        }
    }
    Ok(Recipient {
        address: normalized,
        user,
    })
}

/// The header block prepended for one recipient (RFC 2033 §4.1 leaves it to us; MTAs expect
/// `Return-Path` from MAIL FROM and `Delivered-To` naming the recipient).
pub fn prefix(from: &str, recipient: &str) -> Vec<u8> {
    format!("Return-Path: <{from}>\r\nDelivered-To: {recipient}\r\n").into_bytes()
}

/// Builds one recipient's message record from the shared prepared content.
pub fn personalize(prepared: &Prepared, prefix: Vec<u8>, flags: Flags, now: i64) -> NewMessage {
    let shift = prefix.len() as u64;
    let mut meta = prepared.meta.clone();
    eider_mime::shift_offsets(&mut meta, shift);
    let mut headers = vec![
        header_field(&prefix, "return-path"),
        header_field(&prefix, "delivered-to"),
    ];
    headers.append(&mut meta.headers);
    meta.headers = headers;
    let mut segments = Vec::with_capacity(prepared.segments.len() + 1);
    segments.push(Segment::Inline(prefix));
    segments.extend(prepared.segments.iter().cloned());
    NewMessage {
        flags,
        internal_date: now,
        internal_tz_minutes: 0,
        size: prepared.size + shift,
        sha256: prepared.sha256,
        segments,
        meta,
    }
}

/// The value of a header we wrote into `prefix` ourselves (ASCII, one line).
fn header_field(prefix: &[u8], name: &str) -> HeaderField {
    let text = String::from_utf8_lossy(prefix);
    let value = text
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
        .unwrap_or_default();
    HeaderField {
        name: name.to_owned(),
        value,
    }
}

/// Where a message goes for one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    File {
        mailbox: MailboxId,
        flags: Flags,
    },
    /// A filter discards it: accepted, not stored.
    Discard,
}

/// Applies the delivery rules in order (documented in `docs/delivery.md`): spam verdict → Junk;
/// the user's filters (flags, file into a mailbox, discard); the `+tag` mailbox when it exists;
/// else INBOX.
pub async fn route(
    store: &dyn MailStore,
    rcpt: &Recipient,
    prepared: &Prepared,
    spam: &SpamRules,
) -> StoreResult<Target> {
    let mailboxes = store.list_mailboxes(rcpt.user.id).await?;
    let file = |id: MailboxId, flags: Flags| Ok(Target::File { mailbox: id, flags });
    if is_spam(prepared, spam, rcpt.user.spam_level)
        && let Some(junk) = mailboxes
            .iter()
            .find(|m| m.special_use == Some(SpecialUse::Junk))
    {
        return file(junk.id, Flags::default());
    }
    let outcome = filter::evaluate(&rcpt.user.filters, &prepared.meta, prepared.size);
    if outcome.discard {
        return Ok(Target::Discard);
    }
    let mut flags = Flags::default();
    if outcome.seen {
        flags.system.0 |= SystemFlags::SEEN;
    }
    if outcome.flagged {
        flags.system.0 |= SystemFlags::FLAGGED;
    }
    let by_path = |path: &str| mailboxes.iter().find(|m| same_path(&m.path, path));
    if let Some(mb) = outcome.mailbox.as_deref().and_then(by_path) {
        return file(mb.id, flags);
    }
    if let Some(mb) = address::plus_tag(&rcpt.address).and_then(by_path) {
        return file(mb.id, flags);
    }
    match by_path("INBOX") {
        Some(mb) => file(mb.id, flags),
        None => Err(StoreError::NotFound(format!(
            "INBOX of user {}",
            rcpt.user.id
        ))),
    }
}

/// Filter targets and `+tag`s are typed by people: they name a mailbox case-insensitively
/// (INBOX is case-insensitive anyway, RFC 3501 §5.1).
fn same_path(stored: &str, wanted: &str) -> bool {
    stored.to_lowercase() == wanted.to_lowercase()
}

/// Spam verdict for a user's level (0..=100). Level 0 never routes to Junk. A flag header equal
/// to the configured value routes for any level above 0; a score routes when it reaches
/// `(100 - level) / 10`, so level 50 uses the customary threshold of 5.0.
pub fn is_spam(prepared: &Prepared, rules: &SpamRules, level: u8) -> bool {
    if level == 0 {
        return false;
    }
    let headers = &prepared.meta.headers;
    let get = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.trim())
    };
    if !rules.flag_header.is_empty()
        && get(&rules.flag_header).is_some_and(|v| v.eq_ignore_ascii_case(&rules.flag_value))
    {
        return true;
    }
    if rules.score_header.is_empty() {
        return false;
    }
    let Some(score) = get(&rules.score_header)
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok())
    else {
        return false;
    };
    score >= f64::from(100 - level.min(100)) / 10.0
}

/// Maps an append failure to the per-recipient reply after DATA.
pub fn failure_reply(err: &StoreError) -> Reply {
    match err {
        StoreError::OverQuota => canned::over_quota(),
        StoreError::NotFound(_) => canned::unknown_user(),
        _ => canned::temp_failure(),
    }
}
