//! Running a store command (`Action::Execute`) and bringing the client up to date afterwards:
//! the handler's untagged responses, then pending mailbox updates (EXPUNGE only where RFC 3501
//! §7.4.1 allows it), then the tagged response. Also the driver's side of a credential check
//! (`Action::CheckCredentials`, [`handlers::login`]): the lease, the failure count, BYE.

use super::{Conn, Flow, bye, updates};
use crate::handlers::{self, Exec};
use crate::proto::command::CommandBody;
use crate::proto::response::{Code, Response, Status};
use crate::session::AuthUser;

impl Conn {
    /// Checks credentials (LOGIN, AUTHENTICATE) and answers; closes the connection once it has
    /// failed to log in too often.
    pub(super) async fn check_credentials(
        &mut self,
        tag: &str,
        username: &str,
        password: &str,
    ) -> Flow {
        let ip = self.peer.ip();
        let attempt =
            handlers::login::check_credentials(&self.shared, ip, username, password).await;
        if attempt.counts_as_failure {
            self.auth_failures += 1;
            self.shared.metrics.auth_failures.inc();
        }
        if let Ok(user) = &attempt.result {
            self.span.record("user", user.username.as_str());
            tracing::info!(user = %user.username, "logged in");
            self.slot = attempt.lease;
            self.user_max_message = attempt.max_message_size;
        }
        let rs = self.session.login_result(tag, attempt.result);
        self.wire.push_all(&rs);
        if self.auth_failures >= self.shared.options.max_auth_failures {
            self.wire.push(&bye("Too many authentication failures"));
            return Flow::Close;
        }
        Flow::Continue
    }

    /// `* OK [HIGHESTMODSEQ n]` for the selected mailbox (RFC 7162 §3.1).
    pub(super) fn announce_modseq(&mut self) {
        if let Some(v) = &self.view {
            self.wire.push(&Response::Condition {
                status: Status::Ok,
                code: Some(Code::HighestModSeq(v.highest_modseq().0)),
                text: "Highest".into(),
            });
        }
    }

    pub(super) async fn execute(
        &mut self,
        tag: &str,
        command: CommandBody,
        user: &AuthUser,
        announce: bool,
    ) -> std::io::Result<Flow> {
        if announce {
            self.announce_modseq();
        }
        let is_select = matches!(command, CommandBody::Select(_) | CommandBody::Examine(_));
        if is_select {
            // RFC 5182 §2.1: SELECT resets the saved search result.
            self.saved = None;
        }
        let allow_expunge = crate::mailbox::expunge_allowed(command.name(), uid_form(&command));
        let mut ex = Exec {
            shared: &self.shared,
            user,
            view: &mut self.view,
            wire: &mut self.wire,
            condstore: self.session.condstore(),
            utf8: self.session.encode_options().utf8,
            saved: &mut self.saved,
            keywords: &mut self.keywords,
        };
        let done = handlers::run(&mut ex, tag, command).await?;
        let mut flow = Flow::Continue;
        if !is_select && self.view.is_some() {
            flow = self.push_updates(allow_expunge).await?;
        }
        let rs = self.session.complete(tag, done);
        self.wire.push_all(&rs);
        Ok(flow)
    }

    /// Untagged updates for changes made since the last ones (by this or other sessions).
    pub(super) async fn push_updates(&mut self, allow_expunge: bool) -> std::io::Result<Flow> {
        let Some(view) = self.view.as_mut() else {
            return Ok(Flow::Continue);
        };
        let store = self.shared.ctx.store.as_ref();
        let condstore = self.session.condstore();
        let keywords = &mut self.keywords;
        match updates::refresh(
            store,
            view,
            &mut self.wire,
            keywords,
            condstore,
            allow_expunge,
        )
        .await
        {
            Ok(false) => Ok(Flow::Continue),
            Ok(true) => {
                self.wire.push(&bye("Selected mailbox was deleted"));
                Ok(Flow::Close)
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading mailbox changes failed");
                Ok(Flow::Continue)
            }
        }
    }
}

/// Whether the command is a `UID` form (they may be answered with EXPUNGE, RFC 3501 §7.4.1).
fn uid_form(c: &CommandBody) -> bool {
    match c {
        CommandBody::Fetch(f) => f.uid,
        CommandBody::Store(s) => s.uid,
        CommandBody::Search(s) => s.uid,
        CommandBody::Copy(c) | CommandBody::Move(c) => c.uid,
        CommandBody::UidExpunge(_) => true,
        _ => false,
    }
}
