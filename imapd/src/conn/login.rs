//! Checking credentials (LOGIN, AUTHENTICATE PLAIN) against the store, with the failure delay,
//! the per-connection failure limit (then `* BYE`), and the per-user connection limit.
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
//! Invariant: the password is only handed to `password::verify` and never logged; every
//! failure looks the same to the client (unknown user, wrong password, disabled account).

use super::{Conn, Flow, bye};
use crate::proto::response::{Code, Response};
use crate::session::{AuthUser, CommandError};
use eider_runtime::auth_limit::AuthLimit;
use std::sync::Arc;
use std::time::Duration;

impl Conn {
    pub(super) async fn login(
        &mut self,
        tag: &str,
        username: &str,
        password: &str,
    ) -> Vec<Response> {
        let shared = Arc::clone(&self.shared);
        let limit = AuthLimit::new(&shared.ctx.counters, &shared.ctx.config.auth);
        let ip = Some(self.peer.ip());
        let (result, throttled) = match limit.check(username, ip).await {
            Ok(()) => (self.check(username, password).await, false),
            Err(t) => {
                let text = format!(
                    "Too many authentication failures; try again in {} s",
                    t.retry_after.as_secs()
                );
                (Err(CommandError::no(Code::Unavailable, &text)), true)
            }
        };
        if let Err(e) = &result {
            match e {
                CommandError::Internal { detail } => {
                    tracing::warn!(error = %detail, "login failed: store error")
                }
                _ => tracing::info!("authentication failed"),
            }
            let bad_credentials = matches!(e, CommandError::No { code: None, .. });
            if bad_credentials {
                limit.failed(username, ip).await;
            }
            if bad_credentials || throttled {
                self.auth_failures += 1;
                let delay = self.shared.ctx.config.auth.failure_delay_ms;
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
        }
        if let Ok(user) = &result {
            self.span.record("user", user.username.as_str());
            tracing::info!(user = %user.username, "logged in");
        }
        self.session.login_result(tag, result)
    }

    /// Closes the connection once it has failed to log in too often.
    pub(super) fn after_login_attempt(&mut self) -> Flow {
        if self.auth_failures >= self.shared.options.max_auth_failures {
            self.wire.push(&bye("Too many authentication failures"));
            return Flow::Close;
        }
        Flow::Continue
    }

    async fn check(&mut self, username: &str, password: &str) -> Result<AuthUser, CommandError> {
        let failed = || CommandError::No {
            code: None,
            text: "Authentication failed".into(),
        };
        let store = &self.shared.ctx.store;
        let Some(user) = store.find_user(username).await? else {
            return Err(failed());
        };
        let (pw, hash) = (password.to_owned(), user.password_hash.clone());
        // Hash verification is deliberately slow: keep it off the async workers.
        let ok = tokio::task::spawn_blocking(move || eider_runtime::password::verify(&pw, &hash))
            .await
            .unwrap_or(false);
        if !ok || user.disabled {
            return Err(failed());
        }
        let limit = user
            .limits
            .imap_connections
            .unwrap_or(self.shared.ctx.config.limits.imap_connections_per_user);
        let key = format!("imap:{}", user.id.0);
        let Some(slot) = self.shared.ctx.counters.acquire(&key, limit).await else {
            return Err(CommandError::no(
                Code::Limit,
                "Too many connections for this user",
            ));
        };
        self.slot = Some(slot);
        self.user_max_message = user.limits.max_message_size;
        Ok(AuthUser {
            id: user.id,
            username: user.username,
        })
    }
}
