//! The POP3 session state machine (RFC 1939 §3): AUTHORIZATION → TRANSACTION → UPDATE.
//!
//! Sans-I/O: it takes command lines and the outcomes of the driver's work (login, STLS) and
//! returns [`Action`]s; it never touches a socket, the store or a clock.
//!
//! Invariants:
//! - The maildrop is fixed at login: message numbers, sizes and UIDLs never change within a
//!   session (RFC 1939 §5).
//! - DELE marks and the set of retrieved messages live only here until `QUIT` in TRANSACTION,
//!   which yields the single [`Action::Commit`]; any other end of the session changes nothing
//!   (RFC 1939 §6).
//! - A command not valid in the current state, an unknown command or a syntax error gets `-ERR`
//!   and keeps the connection open, until `max_bad_commands` of them close it.

use super::command::{Command, ParseError, parse};
use super::reply::{Code, Reply};
use super::transaction::{self, Entry, TxError, index};
use base64::Engine;
use eider_model::types::Uid;

/// Per-connection settings the driver decides.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// USER/PASS and AUTH PLAIN are allowed before TLS on this connection.
    pub plaintext_allowed: bool,
    /// STLS can be offered (a certificate is configured and the connection is not yet TLS).
    pub tls_available: bool,
    /// The connection is already TLS (implicit TLS, port 995).
    pub tls_active: bool,
    /// `IMPLEMENTATION` text for CAPA; `None` hides it.
    pub implementation: Option<String>,
    pub max_bad_commands: u32,
    /// Failed logins tolerated before the connection is closed.
    pub max_auth_failures: u32,
}

/// One message of the maildrop snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub uid: Uid,
    /// Exact octets RETR sends (before dot-stuffing).
    pub size: u64,
    pub uidl: String,
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send this response.
    Reply(Reply),
    /// Send this response, then close the connection.
    Close(Reply),
    /// Answer `+OK`, start TLS, then call [`Session::tls_started`].
    StartTls,
    /// Verify the credentials, lock and load the maildrop, then call
    /// [`Session::login_succeeded`] or [`Session::login_failed`].
    Login { username: String, password: String },
    /// Send `+OK` and the message `uid` (all of it, or the header and `top` body lines),
    /// dot-stuffed; for RETR call [`Session::retrieved`] once it was sent.
    Retrieve {
        msg: u32,
        uid: Uid,
        size: u64,
        top: Option<u32>,
    },
    /// UPDATE state (RFC 1939 §6): mark `seen` `\Seen`, remove `delete` (one store call each),
    /// answer with [`commit_reply`], close.
    Commit { delete: Vec<Uid>, seen: Vec<Uid> },
}

/// Why a login attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// Unknown user, wrong password or disabled account (indistinguishable on purpose).
    Credentials,
    /// Another POP3 session holds the maildrop (RFC 2449 §8.1.2).
    InUse,
    /// The store failed; retry later.
    Temporary,
    /// Too many recent failures for this user name or client address
    /// (`eider_runtime::auth_limit`); the password was not checked.
    Throttled,
}

#[derive(Debug)]
enum State {
    Authorization {
        user: Option<String>,
    },
    /// `AUTH PLAIN` without initial response: the next line is the response (RFC 5034 §4).
    SaslPlain,
    /// A Login action is out; the driver answers before reading the next line.
    LoggingIn,
    Transaction(Vec<Entry>),
    Done,
}

/// One connection's POP3 state.
#[derive(Debug)]
pub struct Session {
    cfg: SessionConfig,
    state: State,
    bad_commands: u32,
    auth_failures: u32,
    utf8: bool,
}

/// The response to QUIT after the UPDATE state's store calls (RFC 1939 §6).
pub fn commit_reply(ok: bool) -> Reply {
    if ok {
        Reply::ok("bye")
    } else {
        Reply::err_code(Code::SysTemp, "some deleted messages not removed")
    }
}

impl Session {
    pub fn new(cfg: SessionConfig) -> Self {
        Self {
            cfg,
            state: State::Authorization { user: None },
            bad_commands: 0,
            auth_failures: 0,
            utf8: false,
        }
    }

    pub fn greeting(&self) -> Reply {
        Reply::ok("POP3 server ready")
    }

    /// True after the session asked to close.
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// True between a successful login and QUIT.
    pub fn in_transaction(&self) -> bool {
        matches!(self.state, State::Transaction(_))
    }

    /// The client sent `UTF8` (RFC 6856 §2).
    pub fn utf8(&self) -> bool {
        self.utf8
    }

    fn plaintext_ok(&self) -> bool {
        self.cfg.plaintext_allowed || self.cfg.tls_active
    }

    /// Whether the next line is a SASL response (RFC 5034 §4), not a command.
    pub fn in_sasl(&self) -> bool {
        matches!(self.state, State::SaslPlain)
    }

    /// Handles one complete command line.
    pub fn on_line(&mut self, line: &[u8]) -> Action {
        if matches!(self.state, State::SaslPlain) {
            self.state = State::Authorization { user: None };
            return self.sasl_plain(line);
        }
        match parse(line) {
            Ok(cmd) => self.on_command(cmd),
            Err(ParseError::Unknown) => self.bad(Reply::err("unknown command")),
            Err(ParseError::Syntax(why)) => self.bad(Reply::err(why)),
        }
    }

    /// The client sent a line longer than the limit.
    pub fn on_line_too_long(&mut self) -> Action {
        if matches!(self.state, State::SaslPlain) {
            self.state = State::Authorization { user: None };
        }
        self.bad(Reply::err("line too long"))
    }

    fn bad(&mut self, reply: Reply) -> Action {
        self.bad_commands += 1;
        if self.bad_commands >= self.cfg.max_bad_commands {
            self.state = State::Done;
            return Action::Close(Reply::err("too many bad commands, closing"));
        }
        Action::Reply(reply)
    }

    fn close(&mut self, reply: Reply) -> Action {
        self.state = State::Done;
        Action::Close(reply)
    }

    fn on_command(&mut self, cmd: Command) -> Action {
        match cmd {
            Command::Capa => return Action::Reply(self.capa()),
            Command::Quit if !self.in_transaction() => return self.close(Reply::ok("bye")),
            _ => {}
        }
        match &mut self.state {
            State::Authorization { user } => match cmd {
                Command::User(name) => {
                    if !(self.cfg.plaintext_allowed || self.cfg.tls_active) {
                        return self.bad(plaintext_refused());
                    }
                    *user = Some(name);
                    Action::Reply(Reply::ok("send PASS"))
                }
                Command::Pass(password) => match user.take() {
                    Some(username) => self.login(username, password),
                    None => self.bad(Reply::err("USER first")),
                },
                Command::Auth { mechanism, initial } => self.auth(mechanism, initial),
                Command::Stls => self.stls(),
                Command::Utf8 => {
                    self.utf8 = true;
                    Action::Reply(Reply::ok("UTF8 enabled"))
                }
                _ => self.bad(Reply::err("not valid before login")),
            },
            State::Transaction(entries) => match transaction::run(entries, cmd) {
                Ok(action @ Action::Commit { .. }) => {
                    self.state = State::Done;
                    action
                }
                Ok(action) => action,
                Err(TxError::Reply(reply)) => Action::Reply(reply),
                Err(TxError::WrongState) => self.bad(Reply::err("not valid after login")),
            },
            State::SaslPlain | State::LoggingIn | State::Done => {
                self.bad(Reply::err("command out of sequence"))
            }
        }
    }

    fn login(&mut self, username: String, password: String) -> Action {
        self.state = State::LoggingIn;
        Action::Login { username, password }
    }

    fn auth(&mut self, mechanism: Option<String>, initial: Option<String>) -> Action {
        let Some(mechanism) = mechanism else {
            // The pre-CAPA mechanism listing some clients still probe with (RFC 1734).
            let mechs = if self.plaintext_ok() {
                vec!["PLAIN".to_owned()]
            } else {
                vec![]
            };
            return Action::Reply(Reply::multi("SASL mechanisms", mechs));
        };
        if mechanism != "PLAIN" {
            return self.bad(Reply::err("unsupported SASL mechanism"));
        }
        if !self.plaintext_ok() {
            return self.bad(plaintext_refused());
        }
        match initial {
            // RFC 5034 §4: "=" is an empty initial response.
            Some(i) if i == "=" => self.sasl_plain(b""),
            Some(i) => self.sasl_plain(i.as_bytes()),
            None => {
                self.state = State::SaslPlain;
                Action::Reply(Reply::cont())
            }
        }
    }

    /// Decodes a PLAIN response (RFC 4616 §2: authzid NUL authcid NUL passwd).
    fn sasl_plain(&mut self, line: &[u8]) -> Action {
        if line == b"*" {
            // RFC 5034 §4: the client cancelled.
            return Action::Reply(Reply::err("authentication cancelled"));
        }
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(line) else {
            return self.bad(Reply::err("invalid base64"));
        };
        let parts: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
        let [authzid, authcid, passwd] = parts.as_slice() else {
            return self.bad(Reply::err("malformed PLAIN response"));
        };
        let (Ok(authzid), Ok(authcid), Ok(passwd)) = (
            std::str::from_utf8(authzid),
            std::str::from_utf8(authcid),
            std::str::from_utf8(passwd),
        ) else {
            return self.bad(Reply::err("PLAIN response is not UTF-8"));
        };
        // No proxy authorisation: an authzid, if given, must name the same user.
        if !authzid.is_empty() && authzid != authcid {
            return self.login_failed(LoginFailure::Credentials);
        }
        self.login(authcid.to_owned(), passwd.to_owned())
    }

    fn stls(&mut self) -> Action {
        if self.cfg.tls_active {
            return self.bad(Reply::err("already using TLS"));
        }
        if !self.cfg.tls_available {
            return self.bad(Reply::err("STLS not available"));
        }
        Action::StartTls
    }

    /// TLS is up: RFC 2595 §4 — forget anything learned before it.
    pub fn tls_started(&mut self) {
        self.cfg.tls_active = true;
        self.cfg.tls_available = false;
        self.state = State::Authorization { user: None };
    }

    /// The driver verified the credentials and snapshotted the maildrop (oldest first).
    pub fn login_succeeded(&mut self, messages: Vec<Message>) -> Reply {
        let octets: u64 = messages.iter().map(|m| m.size).sum();
        let n = messages.len();
        self.state = State::Transaction(
            messages
                .into_iter()
                .map(|msg| Entry {
                    msg,
                    deleted: false,
                    retrieved: false,
                })
                .collect(),
        );
        Reply::ok(format!("maildrop has {n} messages ({octets} octets)"))
    }

    /// The login failed; the driver has already waited the failure delay.
    pub fn login_failed(&mut self, why: LoginFailure) -> Action {
        self.state = State::Authorization { user: None };
        let reply = match why {
            LoginFailure::Credentials => Reply::err_code(Code::Auth, "invalid credentials"),
            LoginFailure::InUse => {
                Reply::err_code(Code::InUse, "maildrop is locked by another POP3 session")
            }
            // RFC 3206 §4: SYS/TEMP, a temporary condition; the client may retry later (with
            // the same credentials: they were not judged).
            LoginFailure::Throttled => Reply::err_code(
                Code::SysTemp,
                "too many authentication failures, try again later",
            ),
            LoginFailure::Temporary => {
                return Action::Reply(Reply::err_code(Code::SysTemp, "try again later"));
            }
        };
        self.auth_failures += 1;
        if self.auth_failures >= self.cfg.max_auth_failures {
            return self.close(reply);
        }
        Action::Reply(reply)
    }

    /// RETR of message `msg` was sent in full: its `\Seen` is set at QUIT.
    pub fn retrieved(&mut self, msg: u32) {
        if let State::Transaction(entries) = &mut self.state
            && let Some(e) = index(msg).and_then(|i| entries.get_mut(i))
        {
            e.retrieved = true;
        }
    }

    /// The capabilities valid in the current state (RFC 2449 §5).
    pub fn capabilities(&self) -> Vec<String> {
        let mut caps: Vec<String> = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        // Messages stay until the client deletes them (RFC 2449 §6.7).
        caps.push("EXPIRE NEVER".into());
        let before_login = matches!(self.state, State::Authorization { .. });
        if before_login && self.plaintext_ok() {
            caps.push("USER".into());
            caps.push("SASL PLAIN".into());
            // RFC 6856 §2: USER and PASS accept UTF-8.
            caps.push("UTF8 USER".into());
        } else {
            caps.push("UTF8".into());
        }
        if before_login && self.cfg.tls_available && !self.cfg.tls_active {
            caps.push("STLS".into());
        }
        if let Some(implementation) = &self.cfg.implementation {
            caps.push(format!("IMPLEMENTATION {implementation}"));
        }
        caps
    }

    fn capa(&self) -> Reply {
        Reply::multi("capability list follows", self.capabilities())
    }
}

fn plaintext_refused() -> Reply {
    Reply::err_code(Code::Auth, "plaintext authentication needs TLS (use STLS)")
}
