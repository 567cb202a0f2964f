//! The rules both store backends share, so the embedded and MongoDB stores cannot disagree:
//! flag arithmetic, mailbox name canonicalisation, the key a username is unique under, and the
//! store's clock.

use crate::error::{StoreError, StoreResult};
use eider_model::types::UnixTime;
use eider_model::{FlagOp, Flags, SystemFlags};
use unicode_normalization::UnicodeNormalization;

/// The flags after applying `op` with `given` to `current`.
pub fn apply_flags(current: &Flags, op: FlagOp, given: &Flags) -> Flags {
    match op {
        FlagOp::Replace => given.clone(),
        FlagOp::Add => {
            let mut out = current.clone();
            out.system = SystemFlags(current.system.0 | given.system.0);
            for k in &given.keywords {
                if !out.keywords.iter().any(|c| c.eq_ignore_ascii_case(k)) {
                    out.keywords.insert(k.clone());
                }
            }
            out
        }
        FlagOp::Remove => {
            let mut out = current.clone();
            out.system = SystemFlags(current.system.0 & !given.system.0);
            out.keywords
                .retain(|c| !given.keywords.iter().any(|k| k.eq_ignore_ascii_case(c)));
            out
        }
    }
}

pub const INBOX: &str = "INBOX";

/// Checks a path and canonicalises a leading `INBOX` component.
pub fn normalize_path(path: &str) -> StoreResult<String> {
    if path.is_empty()
        || path.starts_with('/')
        || path.ends_with('/')
        || path.contains("//")
        || path.chars().any(char::is_control)
    {
        return Err(StoreError::Invalid(format!("mailbox name {path:?}")));
    }
    let (first, rest) = match path.split_once('/') {
        Some((f, r)) => (f, Some(r)),
        None => (path, None),
    };
    if !first.eq_ignore_ascii_case(INBOX) {
        return Ok(path.to_string());
    }
    Ok(match rest {
        Some(r) => format!("{INBOX}/{r}"),
        None => INBOX.to_string(),
    })
}

/// The key a username is unique under: NFC, then lower case.
pub fn username_key(username: &str) -> String {
    username.nfc().collect::<String>().to_lowercase()
}

/// Now, in seconds since the epoch.
pub fn unix_now() -> UnixTime {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as UnixTime)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use eider_model::SystemFlags;

    fn flags(system: u8, kw: &[&str]) -> Flags {
        Flags {
            system: SystemFlags(system),
            keywords: kw.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn flag_ops() {
        let cases = [
            (
                flags(1, &["a"]),
                FlagOp::Add,
                flags(2, &["A", "b"]),
                flags(3, &["a", "b"]),
            ),
            (
                flags(3, &["a", "b"]),
                FlagOp::Remove,
                flags(1, &["B"]),
                flags(2, &["a"]),
            ),
            (
                flags(3, &["a"]),
                FlagOp::Replace,
                flags(8, &[]),
                flags(8, &[]),
            ),
        ];
        for (cur, op, given, want) in cases {
            assert_eq!(apply_flags(&cur, op, &given), want, "{op:?}");
        }
    }
}
