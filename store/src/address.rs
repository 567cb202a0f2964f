//! Delivery addresses: the one normal form they are stored and compared in, and how a recipient
//! is resolved to a user.
//!
//! Normal form ([`normalize`]): `local@domain` where the local part is Unicode NFC and lower-case
//! and the domain is the IDNA Unicode form (UTS #46 mapping: lower-case, NFC, `xn--` labels
//! decoded), without a trailing dot. So `Pelé@XN--BCHER-KVA.Example`, `pelé@bücher.example` and
//! the NFD spelling of it are one address. `*@domain` is a domain's catch-all. Lower-casing the
//! local part departs from RFC 5321 §2.4 (which lets a server treat it as case-sensitive) on
//! purpose: no real mailbox provider distinguishes `Bob` from `bob`, and users mistype case.
//!
//! Resolution order ([`resolve`]), first match wins:
//! 1. the exact address;
//! 2. the address without its `+tag` (`user+tag@d` → `user@d`);
//! 3. if the domain is an alias of another domain: steps 1 and 2 with the target domain;
//! 4. the catch-all `*@domain`, then (alias) `*@target`.

use crate::error::{StoreError, StoreResult};
use crate::mailstore::MailStore;
use eider_model::types::UserId;
use unicode_normalization::UnicodeNormalization;

/// Why a string is not an acceptable address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("empty address")]
    Empty,
    #[error("address {0:?} has no @domain")]
    MissingDomain(String),
    #[error("address {0:?} has an empty or invalid local part")]
    InvalidLocal(String),
    #[error("address {0:?} has an invalid domain")]
    InvalidDomain(String),
}

/// Longest address accepted (RFC 5321 §4.5.3.1.3 caps a path at 256 octets).
const MAX_LEN: usize = 254;

/// Returns the normal form of `input` (see the module doc). Surrounding whitespace and one pair
/// of angle brackets are removed.
pub fn normalize(input: &str) -> Result<String, AddressError> {
    let trimmed = input.trim();
    let trimmed = trimmed
        .strip_prefix('<')
        .and_then(|s| s.strip_suffix('>'))
        .unwrap_or(trimmed);
    if trimmed.is_empty() {
        return Err(AddressError::Empty);
    }
    // The domain never contains `@`; a quoted local part may.
    let Some((local, domain)) = trimmed.rsplit_once('@') else {
        return Err(AddressError::MissingDomain(input.to_owned()));
    };
    let local = normalize_local(local).ok_or_else(|| AddressError::InvalidLocal(input.into()))?;
    let domain =
        normalize_domain(domain).ok_or_else(|| AddressError::InvalidDomain(input.into()))?;
    let out = format!("{local}@{domain}");
    if out.len() > MAX_LEN {
        return Err(AddressError::InvalidLocal(input.to_owned()));
    }
    Ok(out)
}

/// The catch-all address of a (normalised) domain.
pub fn catch_all(domain: &str) -> String {
    format!("*@{domain}")
}

/// True for `*@domain`.
pub fn is_catch_all(address: &str) -> bool {
    address.starts_with("*@")
}

/// The `+tag` of a normalised address's local part, without the `+` (`a+b+c@d` → `b+c`); `None`
/// when there is none or it is empty. Used to file deliveries into a mailbox named by the tag.
pub fn plus_tag(address: &str) -> Option<&str> {
    let (local, _) = address.rsplit_once('@')?;
    let (base, tag) = local.split_once('+')?;
    (!base.is_empty() && !tag.is_empty()).then_some(tag)
}

/// The address without its `+tag` (`user+tag@d` → `user@d`), if it has one.
pub fn without_tag(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    let (base, _) = local.split_once('+')?;
    (!base.is_empty()).then(|| format!("{base}@{domain}"))
}

/// Resolves a recipient to the user who receives its mail, in the order of the module doc.
/// `Ok(None)`: nobody does. An unparsable recipient is `StoreError::Invalid`, so a protocol layer
/// can answer "bad syntax" rather than "no such user".
pub async fn resolve(store: &dyn MailStore, recipient: &str) -> StoreResult<Option<UserId>> {
    let address = normalize(recipient).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if let Some(user) = exact_or_untagged(store, &address).await? {
        return Ok(Some(user));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Ok(None);
    };
    let target = store.lookup_domain_alias(domain).await?;
    if let Some(target) = &target {
        let aliased = format!("{local}@{target}");
        if let Some(user) = exact_or_untagged(store, &aliased).await? {
            return Ok(Some(user));
        }
    }
    if let Some(user) = store.lookup_address(&catch_all(domain)).await? {
        return Ok(Some(user));
    }
    match &target {
        Some(target) => store.lookup_address(&catch_all(target)).await,
        None => Ok(None),
    }
}

async fn exact_or_untagged(store: &dyn MailStore, address: &str) -> StoreResult<Option<UserId>> {
    if let Some(user) = store.lookup_address(address).await? {
        return Ok(Some(user));
    }
    match without_tag(address) {
        Some(base) => store.lookup_address(&base).await,
        None => Ok(None),
    }
}

fn normalize_local(local: &str) -> Option<String> {
    if local.is_empty() || local.len() > 64 * 4 {
        return None;
    }
    // RFC 5321 §4.1.2 / RFC 6531 §3.3: no controls or unquoted spaces; quoted strings are kept.
    let quoted = local.len() >= 2 && local.starts_with('"') && local.ends_with('"');
    let bad = |c: char| {
        c.is_control() || (!quoted && (c.is_whitespace() || "<>()[],;:\\\"@".contains(c)))
    };
    if local.chars().any(bad) {
        return None;
    }
    if !quoted && (local.starts_with('.') || local.ends_with('.') || local.contains("..")) {
        return None;
    }
    Some(local.nfc().collect::<String>().to_lowercase())
}

fn normalize_domain(domain: &str) -> Option<String> {
    let domain = domain.strip_suffix('.').unwrap_or(domain);
    if domain.is_empty() || domain.len() > 253 {
        return None;
    }
    // RFC 5321 §4.1.3 address literals: kept as written, lower-cased (`[IPv6:...]`).
    if domain.starts_with('[') && domain.ends_with(']') {
        return Some(domain.to_ascii_lowercase());
    }
    let (unicode, result) = idna::domain_to_unicode(domain);
    result.ok()?;
    // The ASCII form must exist too (rejects labels the DNS cannot carry).
    let ascii = idna::domain_to_ascii(&unicode).ok()?;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    ascii.split('.').all(label_ok).then_some(unicode)
}

#[cfg(test)]
#[path = "address_tests.rs"]
mod tests;
