//! Checking credentials (LOGIN, AUTHENTICATE PLAIN) against the store, with the failure delay,
//! the per-connection failure limit (then `* BYE`), and the per-user connection limit.
//!
//! The per-user limit is a lease from `ctx.counters` (key `imap:<user id>`), taken after the
//! password checked out and held until the connection ends: with `[redis]` it counts the
//! user's sessions in every imapd process, and a crashed process's leases expire after
//! `[redis] lease_ttl_secs`. Over the limit the login is answered `NO [LIMIT]` (RFC 5530) and
//! the connection stays not authenticated, so the client may retry later.
//!
//! Invariant: the password is only handed to `password::verify` and never logged; every
//! failure looks the same to the client (unknown user, wrong password, disabled account).

use super::{Conn, Flow, bye};
use crate::proto::response::{Code, Response};
use crate::session::{AuthUser, CommandError};
use std::time::Duration;

impl Conn {
    pub(super) async fn login(
        &mut self,
        tag: &str,
        username: &str,
        password: &str,
    ) -> Vec<Response> {
        let result = self.check(username, password).await;
        if let Err(e) = &result {
            match e {
                CommandError::Internal { detail } => {
                    tracing::warn!(error = %detail, "login failed: store error")
                }
                _ => tracing::info!("authentication failed"),
            }
            if matches!(e, CommandError::No { code: None, .. }) {
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
        let ok = tokio::task::spawn_blocking(move || eider_common::password::verify(&pw, &hash))
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
