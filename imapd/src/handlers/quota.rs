//! GETQUOTA / GETQUOTAROOT (RFC 9208 §4.2-3): one quota root `""` per user with the STORAGE
//! resource in KiB; a user without a limit has no quota root.

use super::{Exec, HResult, ok};
use crate::proto::mailbox::RawMailbox;
use crate::proto::response::{Code, Data, Response};
use crate::session::CommandError;

/// `* QUOTA "" (STORAGE used limit)` when the user has a limit; false otherwise.
async fn push_quota(ex: &mut Exec<'_>) -> Result<bool, super::Failure> {
    let q = ex.store().quota(ex.user.id).await?;
    if q.limit == 0 {
        return Ok(false);
    }
    // RFC 9208 §5.1: STORAGE is in units of 1024 octets.
    ex.wire.push(&Response::Data(Data::Quota {
        root: String::new(),
        resources: vec![("STORAGE".into(), q.used.div_ceil(1024), q.limit / 1024)],
    }));
    Ok(true)
}

pub async fn get_quota(ex: &mut Exec<'_>, root: &[u8]) -> HResult {
    if !root.is_empty() || !push_quota(ex).await? {
        return Err(CommandError::no(Code::NonExistent, "No such quota root").into());
    }
    ok("GETQUOTA completed")
}

pub async fn get_quota_root(ex: &mut Exec<'_>, m: &RawMailbox) -> HResult {
    let path = ex.path(m)?;
    let Some(mailbox) = ex.store().find_mailbox(ex.user.id, &path).await? else {
        return Err(CommandError::no(Code::NonExistent, "No such mailbox").into());
    };
    let limited = ex.store().quota(ex.user.id).await?.limit != 0;
    ex.wire.push(&Response::Data(Data::QuotaRoot {
        path: mailbox.path.clone(),
        roots: if limited { vec![String::new()] } else { vec![] },
    }));
    if limited {
        push_quota(ex).await?;
    }
    ok("GETQUOTAROOT completed")
}
