//! The IMAP session state machine: decides, for each command, what the driver must do, without
//! touching the store or the network.
//!
//! The driver feeds it commands (from `proto::Receiver`) and gets an [`Action`] back: responses
//! to write, a credential check or store command to run (after which it calls
//! [`Session::complete`] / [`Session::login_result`]), or a stream change (STARTTLS, COMPRESS).
//! Invariants: state is only changed here; a command not valid in the current state is answered
//! `BAD` before anything else happens (one table, [`state::allowed`]); failures map to responses
//! only through [`CommandError`].

pub mod capability;
pub mod error;
mod sasl;
pub mod state;

use crate::proto::command::{AppendHeader, Command, CommandBody, CommandKind};
use crate::proto::error::ReceiveError;
use crate::proto::flag::Flag;
use crate::proto::mailbox::{MailboxNameError, RawMailbox};
use crate::proto::receiver::Limits;
use crate::proto::response::{Code, Data, EncodeOptions, Response, Status};
pub use error::CommandError;
pub use state::{AuthUser, SelectedMailbox, State};

/// Per-connection settings the driver derives from the configuration and the socket.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// LOGIN / AUTHENTICATE PLAIN allowed without TLS (e.g. loopback, or explicitly configured).
    pub plaintext_auth: bool,
    /// STARTTLS can be offered (a certificate is configured).
    pub starttls: bool,
    /// The connection is already encrypted (implicit TLS or after STARTTLS).
    pub tls_active: bool,
    /// APPENDLIMIT (RFC 7889) in bytes.
    pub max_append: u64,
    /// LITERAL+ rather than LITERAL- (must match the receiver's `Limits::literal_plus`).
    pub literal_plus: bool,
    /// COMPRESS=DEFLATE offered.
    pub compress: bool,
}

/// A password: its `Debug` output is redacted so an action can be logged safely.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write these responses.
    Reply(Vec<Response>),
    /// Write these responses, then close the connection.
    Close(Vec<Response>),
    /// Start TLS: if the client pipelined bytes after the STARTTLS line
    /// (`Receiver::has_buffered`), write a tagged BAD and close instead (command injection);
    /// otherwise write the response and run the TLS handshake.
    StartTls(Response),
    /// Write the response, then compress both directions with DEFLATE (RFC 4978).
    StartCompress(Response),
    /// Write these responses (a continuation) and read the next line raw
    /// (`Receiver::read_raw_line`), then call [`Session::on_raw_line`].
    ReadRawLine(Vec<Response>),
    /// IDLE (RFC 2177): write the continuation, read the next line raw, and meanwhile push
    /// untagged mailbox updates; pass the line to [`Session::on_raw_line`].
    Idle(Response),
    /// Check these credentials, then call [`Session::login_result`].
    CheckCredentials {
        tag: String,
        username: String,
        password: Secret,
    },
    /// Run a command against the store for this user (and selected mailbox), write its untagged
    /// responses, then call [`Session::complete`]. When `announce_highest_modseq`, the command
    /// just enabled CONDSTORE with a mailbox selected (RFC 7162 §3.1): write
    /// `* OK [HIGHESTMODSEQ n]` first.
    Execute {
        tag: String,
        command: CommandBody,
        user: AuthUser,
        mailbox: Option<SelectedMailbox>,
        announce_highest_modseq: bool,
    },
    /// Accept an APPEND: for a synchronising literal write `+ Ready` and call
    /// `Receiver::accept_literal`, stream the data into the store, then call `complete`.
    Append {
        header: AppendHeader,
        user: AuthUser,
    },
    /// CONDSTORE was just enabled while a mailbox is selected (RFC 7162 §3.1): write
    /// `* OK [HIGHESTMODSEQ n]` with the mailbox's current value (or `[NOMODSEQ]`), then these
    /// responses.
    AnnounceHighestModSeq(Vec<Response>),
    /// Refuse an APPEND: write the responses and call `Receiver::reject_literal`, which drops
    /// whatever the client still sends for it.
    RefuseAppend(Vec<Response>),
}

impl Action {
    /// Sets `announce_highest_modseq` on an `Execute`.
    fn announcing(mut self, announce: bool) -> Self {
        if let Action::Execute {
            announce_highest_modseq,
            ..
        } = &mut self
        {
            *announce_highest_modseq = announce;
        }
        self
    }
}

/// What a SELECT/EXAMINE found, for the untagged responses of RFC 3501 §6.3.1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectInfo {
    pub mailbox: SelectedMailbox,
    pub flags: Vec<Flag>,
    pub permanent_flags: Vec<Flag>,
    /// Messages in the mailbox, as the selected-mailbox view counts them.
    pub exists: u32,
    /// Messages this session reports as `\Recent`.
    pub recent: u32,
    pub first_unseen: Option<u32>,
    pub uid_next: u32,
    /// `None` for a mailbox without modseqs (`NOMODSEQ`).
    pub highest_modseq: Option<u64>,
}

/// How a store command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Success with an optional response code (APPENDUID, COPYUID, ...).
    Ok {
        code: Option<Code>,
        text: String,
    },
    Failed(CommandError),
    /// SELECT / EXAMINE succeeded.
    Selected(SelectInfo),
    /// CLOSE finished (its silent expunge done).
    Closed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pending {
    None,
    Sasl { tag: String },
    Idle { tag: String },
}

/// One connection's protocol state.
#[derive(Debug)]
pub struct Session {
    state: State,
    config: SessionConfig,
    utf8: bool,
    condstore: bool,
    compress_active: bool,
    pending: Pending,
}

fn ok(tag: &str, text: &str) -> Response {
    Response::tagged(tag, Status::Ok, None, text)
}

fn bad(tag: &str, text: &str) -> Response {
    Response::tagged(tag, Status::Bad, None, text)
}

fn no(tag: &str, code: Option<Code>, text: &str) -> Response {
    Response::tagged(tag, Status::No, code, text)
}

impl Session {
    pub fn new(config: SessionConfig) -> Self {
        Session {
            state: State::NotAuthenticated,
            config,
            utf8: false,
            condstore: false,
            compress_active: false,
            pending: Pending::None,
        }
    }

    /// The greeting (RFC 3501 §7.1.1).
    pub fn greeting(&self) -> Response {
        Response::Condition {
            status: Status::Ok,
            code: Some(Code::Capability(self.capabilities())),
            text: "Eider IMAP ready".into(),
        }
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// How responses must be encoded now (UTF8=ACCEPT enabled or not).
    pub fn encode_options(&self) -> EncodeOptions {
        EncodeOptions { utf8: self.utf8 }
    }

    /// Whether CONDSTORE is enabled (ENABLE, SELECT (CONDSTORE), or a CONDSTORE-only command).
    pub fn condstore(&self) -> bool {
        self.condstore
    }

    pub fn capabilities(&self) -> Vec<String> {
        capability::capabilities(
            &self.config,
            self.state.user().is_some(),
            self.compress_active,
        )
    }

    /// The store path for a mailbox name from a command, decoded for the current mode (mUTF-7,
    /// or UTF-8 after ENABLE UTF8=ACCEPT).
    pub fn mailbox_path(&self, raw: &RawMailbox) -> Result<String, CommandError> {
        raw.decode(self.utf8).map_err(|e| match e {
            MailboxNameError::BadEncoding => CommandError::Bad(e.to_string()),
            MailboxNameError::Empty => CommandError::no(Code::Cannot, "Invalid mailbox name"),
        })
    }

    /// The receiver limits for the current state: before login literals are kept small, since
    /// an unauthenticated client must not make us buffer much (RFC 9051 §11.1 hints at this).
    pub fn limits(&self) -> Limits {
        let authenticated = self.state.user().is_some();
        Limits {
            max_literal: if authenticated { 64 * 1024 } else { 4 * 1024 },
            max_append: self.config.max_append,
            literal_plus: self.config.literal_plus,
            ..Limits::default()
        }
    }

    /// A command the receiver rejected.
    pub fn on_receive_error(&mut self, e: &ReceiveError) -> Action {
        Action::Reply(vec![error::receive_error_response(e)])
    }

    /// A parsed command.
    pub fn on_command(&mut self, cmd: Command) -> Action {
        let Command { tag, body } = cmd;
        if !state::allowed(self.state.kind(), body.kind()) {
            return Action::Reply(vec![bad(&tag, &format!("{} not allowed now", body.name()))]);
        }
        use CommandBody as B;
        match body {
            B::Capability => Action::Reply(vec![
                Response::Data(Data::Capability(self.capabilities())),
                ok(&tag, "CAPABILITY completed"),
            ]),
            B::Noop | B::Check if self.state.mailbox().is_none() => {
                Action::Reply(vec![ok(&tag, "NOOP completed")])
            }
            B::Logout => {
                self.state = State::Logout;
                Action::Close(vec![
                    Response::Condition {
                        status: Status::Bye,
                        code: None,
                        text: "Logging out".into(),
                    },
                    ok(&tag, "LOGOUT completed"),
                ])
            }
            B::Id(_) => Action::Reply(vec![
                Response::Data(Data::Id(Some(vec![("name".into(), Some("Eider".into()))]))),
                ok(&tag, "ID completed"),
            ]),
            B::StartTls => self.starttls(&tag),
            B::Login(l) => self.login(&tag, l.username, l.password),
            B::Authenticate(a) => self.authenticate(&tag, a),
            B::Enable(caps) => self.enable(&tag, caps),
            B::Compress(mech) => self.compress(&tag, &mech),
            B::Idle => {
                self.pending = Pending::Idle { tag };
                Action::Idle(Response::Continue("idling".into()))
            }
            // We have one personal namespace with no prefix and no shared ones (RFC 2342).
            B::Namespace => Action::Reply(vec![
                Response::Data(Data::Namespace {
                    personal_prefix: String::new(),
                }),
                ok(&tag, "NAMESPACE completed"),
            ]),
            B::SetQuota(_) => Action::Reply(vec![no(
                &tag,
                Some(Code::NoPerm),
                "Quotas are set by the administrator",
            )]),
            B::Unselect => {
                self.deselect();
                Action::Reply(vec![ok(&tag, "UNSELECT completed")])
            }
            B::Select(ref s) | B::Examine(ref s) => {
                if s.condstore {
                    self.condstore = true;
                }
                // RFC 3501 §6.3.1: SELECT first deselects, whether or not it succeeds.
                self.deselect();
                self.execute(tag, body)
            }
            B::Store(ref s) if s.unchanged_since.is_some() => {
                let announce = self.enable_condstore();
                self.execute_writable(tag, body).announcing(announce)
            }
            B::Fetch(ref f)
                if f.changed_since.is_some()
                    || f.attrs.contains(&crate::proto::command::FetchAttr::ModSeq) =>
            {
                // RFC 7162 §3.1: a CONDSTORE-enabling command.
                let announce = self.enable_condstore();
                self.execute(tag, body).announcing(announce)
            }
            B::Store(_) | B::Expunge | B::UidExpunge(_) => self.execute_writable(tag, body),
            B::Search(mut q) => {
                if !q.to_utf8() {
                    return Action::Reply(vec![no(
                        &tag,
                        Some(Code::BadCharset(vec!["UTF-8".into(), "US-ASCII".into()])),
                        "Unsupported charset",
                    )]);
                }
                // RFC 7162 §3.1: SEARCH MODSEQ is a CONDSTORE-enabling command.
                let announce =
                    q.criteria.iter().any(|k| k.uses_modseq()) && self.enable_condstore();
                self.execute(tag, B::Search(q)).announcing(announce)
            }
            B::Move(_) if self.read_only() => {
                Action::Reply(vec![no(&tag, Some(Code::Cannot), "Mailbox is read-only")])
            }
            other => self.execute(tag, other),
        }
    }

    /// Turns CONDSTORE on; true if that happened just now with a mailbox selected, when the
    /// client must be told the mailbox's HIGHESTMODSEQ.
    fn enable_condstore(&mut self) -> bool {
        let newly = !self.condstore;
        self.condstore = true;
        newly && self.state.mailbox().is_some()
    }

    fn read_only(&self) -> bool {
        self.state.mailbox().is_some_and(|m| m.read_only)
    }

    fn deselect(&mut self) {
        if let State::Selected(user, ..) = &self.state {
            self.state = State::Authenticated(user.clone());
        }
    }

    fn execute(&mut self, tag: String, command: CommandBody) -> Action {
        let Some(user) = self.state.user().cloned() else {
            return Action::Reply(vec![bad(&tag, "Not authenticated")]);
        };
        let mailbox = self.state.mailbox().cloned();
        Action::Execute {
            tag,
            command,
            user,
            mailbox,
            announce_highest_modseq: false,
        }
    }

    fn execute_writable(&mut self, tag: String, command: CommandBody) -> Action {
        if self.read_only() {
            return Action::Reply(vec![no(&tag, Some(Code::Cannot), "Mailbox is read-only")]);
        }
        self.execute(tag, command)
    }

    fn enable(&mut self, tag: &str, caps: Vec<String>) -> Action {
        let mut enabled = Vec::new();
        for c in caps {
            // RFC 5161 §3.1: unknown capabilities are ignored; each is reported once.
            match c.as_str() {
                "CONDSTORE" if !self.condstore => self.condstore = true,
                "UTF8=ACCEPT" if !self.utf8 => self.utf8 = true,
                _ => continue,
            }
            enabled.push(c);
        }
        let newly_condstore = enabled.iter().any(|c| c == "CONDSTORE");
        let out = vec![
            Response::Data(Data::Enabled(enabled)),
            ok(tag, "ENABLE completed"),
        ];
        if newly_condstore && self.state.mailbox().is_some() {
            return Action::AnnounceHighestModSeq(out);
        }
        Action::Reply(out)
    }

    fn compress(&mut self, tag: &str, mech: &str) -> Action {
        if !self.config.compress || mech != "DEFLATE" {
            return Action::Reply(vec![bad(tag, "Unsupported compression mechanism")]);
        }
        if self.compress_active {
            return Action::Reply(vec![no(
                tag,
                Some(Code::CompressionActive),
                "Already compressing",
            )]);
        }
        self.compress_active = true;
        Action::StartCompress(ok(tag, "DEFLATE active"))
    }

    /// An APPEND header from the receiver.
    pub fn on_append(&mut self, header: AppendHeader) -> Action {
        let user = match self.state.user() {
            Some(u) if state::allowed(self.state.kind(), CommandKind::Append) => u.clone(),
            _ => return Action::RefuseAppend(vec![bad(&header.tag, "APPEND not allowed now")]),
        };
        if header.literal_size > self.config.max_append {
            return Action::RefuseAppend(vec![no(
                &header.tag,
                Some(Code::TooBig),
                "Message too large",
            )]);
        }
        Action::Append { header, user }
    }

    /// The outcome of an [`Action::Execute`] or [`Action::Append`].
    pub fn complete(&mut self, tag: &str, done: Completion) -> Vec<Response> {
        match done {
            Completion::Ok { code, text } => vec![Response::tagged(tag, Status::Ok, code, &text)],
            Completion::Failed(e) => vec![e.to_response(tag)],
            Completion::Closed => {
                self.deselect();
                vec![ok(tag, "CLOSE completed")]
            }
            Completion::Selected(info) => self.selected(tag, info),
        }
    }

    fn selected(&mut self, tag: &str, info: SelectInfo) -> Vec<Response> {
        let Some(user) = self.state.user().cloned() else {
            return vec![bad(tag, "Not authenticated")];
        };
        let cond = |code: Code, text: &str| Response::Condition {
            status: Status::Ok,
            code: Some(code),
            text: text.into(),
        };
        // RFC 3501 §6.3.1 (and RFC 7162 §3.1.2.1 for HIGHESTMODSEQ / NOMODSEQ).
        let mut out = vec![
            Response::Data(Data::Flags(info.flags)),
            cond(
                Code::PermanentFlags(if info.mailbox.read_only {
                    vec![]
                } else {
                    info.permanent_flags
                }),
                "Flags permitted",
            ),
            Response::Data(Data::Exists(info.exists)),
            Response::Data(Data::Recent(info.recent)),
        ];
        if let Some(u) = info.first_unseen {
            out.push(cond(Code::Unseen(u), "First unseen"));
        }
        out.push(cond(
            Code::UidValidity(info.mailbox.uid_validity.0),
            "UIDs valid",
        ));
        out.push(cond(Code::UidNext(info.uid_next), "Predicted next UID"));
        out.push(match info.highest_modseq {
            Some(m) => cond(Code::HighestModSeq(m), "Highest"),
            None => cond(Code::NoModSeq, "No modseqs"),
        });
        let (code, text) = if info.mailbox.read_only {
            (Code::ReadOnly, "EXAMINE completed")
        } else {
            (Code::ReadWrite, "SELECT completed")
        };
        out.push(Response::tagged(tag, Status::Ok, Some(code), text));
        self.state = State::Selected(user, info.mailbox);
        out
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
