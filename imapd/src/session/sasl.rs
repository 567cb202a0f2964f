//! Authentication flows of the session: STARTTLS, LOGIN, AUTHENTICATE PLAIN with SASL-IR
//! (RFC 4959) or a continuation (RFC 3501 §6.2.2), and the raw lines read for SASL and IDLE.
//!
//! Invariant: credentials only leave this module inside [`Action::CheckCredentials`]; they are
//! never logged or echoed.

use super::{
    Action, AuthUser, CommandError, Pending, Secret, Session, State, bad, capability, no, ok,
};
use crate::proto::command::{Authenticate, login};
use crate::proto::response::{Code, Response, Status};

impl Session {
    pub(super) fn starttls(&mut self, tag: &str) -> Action {
        if !self.config.starttls || self.config.tls_active {
            return Action::Reply(vec![bad(tag, "TLS not available")]);
        }
        self.config.tls_active = true;
        Action::StartTls(ok(tag, "Begin TLS negotiation now"))
    }

    pub(super) fn login(&mut self, tag: &str, username: Vec<u8>, password: Vec<u8>) -> Action {
        if !capability::plaintext_ok(&self.config) {
            // RFC 3501 §6.2.3 with RFC 5530's PRIVACYREQUIRED.
            return Action::Reply(vec![no(
                tag,
                Some(Code::PrivacyRequired),
                "Use STARTTLS first",
            )]);
        }
        let (Ok(username), Ok(password)) =
            (String::from_utf8(username), String::from_utf8(password))
        else {
            return Action::Reply(vec![no(
                tag,
                Some(Code::AuthenticationFailed),
                "Authentication failed",
            )]);
        };
        Action::CheckCredentials {
            tag: tag.to_owned(),
            username,
            password: Secret(password),
        }
    }

    pub(super) fn authenticate(&mut self, tag: &str, a: Authenticate) -> Action {
        if a.mechanism != "PLAIN" {
            return Action::Reply(vec![no(
                tag,
                Some(Code::Cannot),
                "Unsupported authentication mechanism",
            )]);
        }
        if !capability::plaintext_ok(&self.config) {
            return Action::Reply(vec![no(
                tag,
                Some(Code::PrivacyRequired),
                "Use STARTTLS first",
            )]);
        }
        match a.initial {
            Some(msg) => self.plain(tag, &msg),
            None => {
                self.pending = Pending::Sasl {
                    tag: tag.to_owned(),
                };
                // RFC 4616: PLAIN starts with an empty challenge.
                Action::ReadRawLine(vec![Response::ContinueData(Vec::new())])
            }
        }
    }

    fn plain(&mut self, tag: &str, msg: &[u8]) -> Action {
        let Ok(creds) = login::parse_plain(msg) else {
            return Action::Reply(vec![bad(tag, "Malformed PLAIN message")]);
        };
        if !creds.authzid.is_empty() && creds.authzid != creds.username {
            return Action::Reply(vec![no(
                tag,
                Some(Code::AuthorizationFailed),
                "Cannot act as another user",
            )]);
        }
        Action::CheckCredentials {
            tag: tag.to_owned(),
            username: creds.username,
            password: Secret(creds.password),
        }
    }

    /// A raw line read after [`Action::ReadRawLine`] or [`Action::Idle`].
    pub fn on_raw_line(&mut self, line: &[u8]) -> Action {
        match std::mem::replace(&mut self.pending, Pending::None) {
            Pending::Sasl { tag } => {
                if login::is_sasl_cancel(line) {
                    // RFC 3501 §6.2.2: a cancelled exchange gets a tagged BAD.
                    return Action::Reply(vec![bad(&tag, "AUTHENTICATE cancelled")]);
                }
                match login::decode_sasl(line) {
                    Ok(msg) => self.plain(&tag, &msg),
                    Err(_) => Action::Reply(vec![bad(&tag, "Invalid base64")]),
                }
            }
            Pending::Idle { tag } => {
                if line.eq_ignore_ascii_case(b"DONE") {
                    Action::Reply(vec![ok(&tag, "IDLE terminated")])
                } else {
                    Action::Reply(vec![bad(&tag, "Expected DONE")])
                }
            }
            Pending::None => Action::Reply(vec![Response::Condition {
                status: Status::Bad,
                code: None,
                text: "Unexpected line".into(),
            }]),
        }
    }

    /// The result of [`Action::CheckCredentials`].
    pub fn login_result(
        &mut self,
        tag: &str,
        result: Result<AuthUser, CommandError>,
    ) -> Vec<Response> {
        match result {
            Ok(user) => {
                self.state = State::Authenticated(user);
                // RFC 3501 §7.2.1: send the new capabilities so clients need not ask.
                vec![Response::tagged(
                    tag,
                    Status::Ok,
                    Some(Code::Capability(self.capabilities())),
                    "Logged in",
                )]
            }
            Err(CommandError::No { code: None, .. }) => {
                vec![no(
                    tag,
                    Some(Code::AuthenticationFailed),
                    "Authentication failed",
                )]
            }
            Err(e) => vec![e.to_response(tag)],
        }
    }
}
