//! LOGIN (RFC 3501 §6.2.3) and AUTHENTICATE PLAIN (§6.2.2, RFC 4616): checking credentials
//! against the store, with the failure delay and the per-user connection limit. The session
//! (`crate::session::sasl`) has already parsed the credentials and decided the exchange; the
//! driver counts failures per connection and says BYE past its limit.
//!
//! The per-user limit is a lease from `ctx.counters` (key `imap:<user id>`), taken after the
//! password checked out and held until the connection ends: with `[redis]` it counts the
//! user's sessions in every imapd process, and a crashed process's leases expire after
//! `[redis] lease_ttl_secs`. Over the limit the login is answered `NO [LIMIT]` (RFC 5530) and
//! the connection stays not authenticated, so the client may retry later.
//!
//! Failures are also counted per user name and per client address across every process and
//! protocol (`eider_runtime::auth_limit`, `[auth] max_failures_per_user` / `_per_ip`); while one
//! of them is over its limit the login is answered `NO [UNAVAILABLE]` (RFC 5530 §3: temporary,
//! retry later) without looking at the password. Such a refusal also counts towards the
//! connection's own limit.
//!
//! Invariant: the password is only handed to `credentials::check` and never logged; every
//! failure looks the same to the client (unknown user, wrong password, disabled account).

use crate::proto::response::Code;
use crate::server::Shared;
use crate::session::{AuthUser, CommandError};
use eider_runtime::auth_limit::AuthLimit;
use eider_runtime::counters::Lease;
use std::net::IpAddr;
use std::time::Duration;

/// How a login attempt ended.
#[derive(Debug)]
pub struct LoginAttempt {
    /// The user, or the failure to answer with (`No` without a code: bad credentials).
    pub result: Result<AuthUser, CommandError>,
    /// The per-user connection lease; the connection holds it until it ends.
    pub lease: Option<Lease>,
    /// The user's own message size limit (`UserLimits::max_message_size`).
    pub max_message_size: Option<u64>,
    /// The attempt counts towards the connection's failure limit (bad credentials, or refused
    /// while throttled); the failure delay has already been waited.
    pub counts_as_failure: bool,
}

/// Checks `username` / `password` for a client at `ip`.
pub async fn check_credentials(
    shared: &Shared,
    ip: IpAddr,
    username: &str,
    password: &str,
) -> LoginAttempt {
    let limit = AuthLimit::new(&shared.ctx.counters, &shared.ctx.config.auth);
    let ip = Some(ip);
    let mut attempt = LoginAttempt {
        result: Err(failed()),
        lease: None,
        max_message_size: None,
        counts_as_failure: false,
    };
    let throttled = match limit.begin(username, ip).await {
        Ok(counted) => {
            verify(shared, username, password, &mut attempt).await;
            // Counted as a failure in advance: taken back unless the credentials were wrong.
            if !matches!(&attempt.result, Err(CommandError::No { code: None, .. })) {
                counted.release().await;
            }
            false
        }
        Err(t) => {
            let text = format!(
                "Too many authentication failures; try again in {} s",
                t.retry_after.as_secs()
            );
            attempt.result = Err(CommandError::no(Code::Unavailable, &text));
            true
        }
    };
    let Err(e) = &attempt.result else {
        return attempt;
    };
    // Store failures were logged where they were mapped (`session::error`).
    if !matches!(e, CommandError::Internal { .. }) {
        tracing::info!("authentication failed");
    }
    let bad_credentials = matches!(e, CommandError::No { code: None, .. });
    if bad_credentials || throttled {
        attempt.counts_as_failure = true;
        let delay = shared.ctx.config.auth.failure_delay_ms;
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    attempt
}

/// The answer to bad credentials, whatever was wrong.
fn failed() -> CommandError {
    CommandError::No {
        code: None,
        text: "Authentication failed".into(),
    }
}

/// Checks the password and takes the connection lease; fills `attempt` on success.
async fn verify(shared: &Shared, username: &str, password: &str, attempt: &mut LoginAttempt) {
    let store = &shared.ctx.store;
    let user = match store.find_user(username).await {
        Ok(u) => u,
        Err(e) => {
            attempt.result = Err(e.into());
            return;
        }
    };
    // Off the async workers, and as slow for unknown and disabled users as for real ones.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = eider_runtime::credentials::check(password.to_owned(), hash).await;
    let Some(user) = user.filter(|u| ok && !u.disabled) else {
        return;
    };
    let limit = user
        .limits
        .imap_connections
        .unwrap_or(shared.ctx.config.limits.imap_connections_per_user);
    let key = format!("imap:{}", user.id.0);
    let Some(lease) = shared.ctx.counters.acquire(&key, limit).await else {
        attempt.result = Err(CommandError::no(
            Code::Limit,
            "Too many connections for this user",
        ));
        return;
    };
    attempt.lease = Some(lease);
    attempt.max_message_size = user.limits.max_message_size;
    attempt.result = Ok(AuthUser {
        id: user.id,
        username: user.username,
    });
}
