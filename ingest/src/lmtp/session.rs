//! The LMTP session state machine (RFC 2033): sequencing of LHLO / MAIL / RCPT / DATA / BDAT.
//!
//! Sans-I/O: it is handed parsed commands and returns [`Step`]s; the driver does the I/O, resolves
//! recipients (store lookups) and delivers. `R` is whatever the driver learns about an accepted
//! recipient (user id, target mailbox...). Invariants: a transaction exists only after an
//! accepted MAIL; message data is accepted only with at least one accepted recipient; every
//! DATA/BDAT-LAST produces exactly one reply per accepted recipient (RFC 2033 §4.2), which the
//! driver builds from [`Session::finish_message`].

use super::command::{Command, CommandError, MailParams};
use super::reply::{Reply, canned};

/// Fixed facts a session needs.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    pub hostname: String,
    pub max_message_size: u64,
    pub max_recipients: usize,
    /// Offer and accept STARTTLS.
    pub starttls: bool,
}

/// An open mail transaction.
#[derive(Clone, Debug)]
pub struct Transaction<R> {
    pub from: String,
    pub params: MailParams,
    /// Accepted recipients in RCPT order: the address as given and what the driver resolved.
    pub recipients: Vec<(String, R)>,
    /// BDAT chunks have started arriving.
    pub bdat_started: bool,
}

/// What the driver must do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Reply(Reply),
    /// Send the reply and close the connection.
    Close(Reply),
    /// Resolve this recipient and call [`Session::rcpt_resolved`].
    ResolveRecipient {
        to: String,
        size: Option<u64>,
    },
    /// Send the 354 reply, then read dot-stuffed data and call [`Session::finish_message`].
    ReceiveData(Reply),
    /// Read exactly `size` bytes of message data; if `last`, the message is complete afterwards.
    ReceiveChunk {
        size: u64,
        last: bool,
    },
    /// Read and throw away `size` bytes, then send the reply (a BDAT that cannot be accepted).
    DiscardChunk {
        size: u64,
        reply: Reply,
    },
    /// Send the reply, then start TLS.
    StartTls(Reply),
}

#[derive(Debug)]
pub struct Session<R> {
    config: SessionConfig,
    greeted: bool,
    tls: bool,
    transaction: Option<Transaction<R>>,
}

impl<R> Session<R> {
    pub fn new(config: SessionConfig) -> Self {
        Self {
            config,
            greeted: false,
            tls: false,
            transaction: None,
        }
    }

    /// The banner sent on connect.
    pub fn greeting(&self) -> Reply {
        Reply::new(
            220,
            None,
            format!("{} LMTP Eider ready", self.config.hostname),
        )
    }

    /// Marks the connection as encrypted (after a TLS handshake the session starts over,
    /// RFC 3207 §4.2).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.greeted = false;
        self.transaction = None;
    }

    pub fn transaction(&self) -> Option<&Transaction<R>> {
        self.transaction.as_ref()
    }

    /// Handles a parse failure.
    pub fn parse_error(&self, err: &CommandError) -> Step {
        Step::Reply(match err {
            CommandError::Unrecognized => canned::unrecognized(),
            CommandError::Syntax(what) => canned::syntax(what),
            CommandError::Encoding => canned::syntax("invalid UTF-8"),
            CommandError::Parameter(p) => {
                Reply::with(555, (5, 5, 4), format!("Parameter not supported: {p}"))
            }
        })
    }

    /// Handles one command.
    pub fn command(&mut self, cmd: Command) -> Step {
        match cmd {
            Command::Lhlo { .. } => {
                self.greeted = true;
                self.transaction = None;
                Step::Reply(self.capabilities())
            }
            Command::Helo => Step::Reply(Reply::with(500, (5, 5, 1), "This is LMTP: use LHLO")),
            Command::Quit => Step::Close(Reply::with(221, (2, 0, 0), "Bye")),
            Command::Noop => Step::Reply(canned::ok()),
            Command::Vrfy => Step::Reply(Reply::with(252, (2, 5, 2), "Cannot verify, try RCPT")),
            Command::Rset => {
                self.transaction = None;
                Step::Reply(canned::ok())
            }
            Command::StartTls => self.starttls(),
            Command::Mail { from, params } => self.mail(from, params),
            Command::Rcpt { to } => self.rcpt(to),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
        }
    }

    fn capabilities(&self) -> Reply {
        let mut lines = vec![
            self.config.hostname.clone(),
            "PIPELINING".into(),
            "ENHANCEDSTATUSCODES".into(),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "CHUNKING".into(),
            format!("SIZE {}", self.config.max_message_size),
        ];
        if self.config.starttls && !self.tls {
            lines.push("STARTTLS".into());
        }
        Reply {
            code: 250,
            enhanced: None,
            lines,
        }
    }

    fn starttls(&mut self) -> Step {
        if !self.config.starttls || self.tls {
            return Step::Reply(Reply::with(502, (5, 5, 1), "STARTTLS not available"));
        }
        if self.transaction.is_some() {
            return Step::Reply(canned::bad_sequence("STARTTLS inside a transaction"));
        }
        Step::StartTls(Reply::with(220, (2, 0, 0), "Ready to start TLS"))
    }

    fn mail(&mut self, from: String, params: MailParams) -> Step {
        if !self.greeted {
            return Step::Reply(canned::bad_sequence("send LHLO first"));
        }
        if self.transaction.is_some() {
            return Step::Reply(canned::bad_sequence("nested MAIL command"));
        }
        if params
            .size
            .is_some_and(|s| s > self.config.max_message_size)
        {
            return Step::Reply(canned::too_large());
        }
        self.transaction = Some(Transaction {
            from,
            params,
            recipients: Vec::new(),
            bdat_started: false,
        });
        Step::Reply(Reply::with(250, (2, 1, 0), "Sender OK"))
    }

    fn rcpt(&mut self, to: String) -> Step {
        let Some(tx) = &self.transaction else {
            return Step::Reply(canned::bad_sequence("need MAIL before RCPT"));
        };
        if tx.bdat_started {
            return Step::Reply(canned::bad_sequence("RCPT after BDAT"));
        }
        if tx.recipients.len() >= self.config.max_recipients {
            return Step::Reply(Reply::with(452, (4, 5, 3), "Too many recipients"));
        }
        Step::ResolveRecipient {
            to,
            size: tx.params.size,
        }
    }

    /// Records the outcome of resolving a recipient; returns the RCPT reply.
    pub fn rcpt_resolved(&mut self, to: String, outcome: Result<R, Reply>) -> Reply {
        let Some(tx) = &mut self.transaction else {
            return canned::bad_sequence("need MAIL before RCPT");
        };
        match outcome {
            Ok(r) => {
                tx.recipients.push((to, r));
                Reply::with(250, (2, 1, 5), "Recipient OK")
            }
            Err(reply) => reply,
        }
    }

    fn data(&mut self) -> Step {
        let Some(tx) = &self.transaction else {
            return Step::Reply(canned::bad_sequence("need MAIL before DATA"));
        };
        if tx.bdat_started {
            return Step::Reply(canned::bad_sequence("DATA after BDAT"));
        }
        if tx.recipients.is_empty() {
            // RFC 2033 §4.2: no accepted recipient, so DATA fails as a whole.
            return Step::Reply(Reply::with(503, (5, 5, 1), "No valid recipients"));
        }
        Step::ReceiveData(Reply::new(
            354,
            None,
            "Start mail input; end with <CRLF>.<CRLF>",
        ))
    }

    fn bdat(&mut self, size: u64, last: bool) -> Step {
        let max = self.config.max_message_size;
        let Some(tx) = &mut self.transaction else {
            return Step::DiscardChunk {
                size,
                reply: canned::bad_sequence("need MAIL before BDAT"),
            };
        };
        if tx.recipients.is_empty() {
            return Step::DiscardChunk {
                size,
                reply: Reply::with(503, (5, 5, 1), "No valid recipients"),
            };
        }
        if size > max {
            self.transaction = None;
            return Step::DiscardChunk {
                size,
                reply: canned::too_large(),
            };
        }
        tx.bdat_started = true;
        Step::ReceiveChunk { size, last }
    }

    /// Reply to a non-final BDAT chunk that was received.
    pub fn chunk_received(&self, size: u64) -> Reply {
        Reply::with(250, (2, 0, 0), format!("{size} octets received"))
    }

    /// Ends the transaction after its data arrived (or failed); returns it so the driver can
    /// deliver and reply once per recipient.
    pub fn finish_message(&mut self) -> Option<Transaction<R>> {
        self.transaction.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lmtp::command::parse;

    fn session() -> Session<u32> {
        Session::new(SessionConfig {
            hostname: "mx.test".into(),
            max_message_size: 1000,
            max_recipients: 2,
            starttls: false,
        })
    }

    fn step(s: &mut Session<u32>, line: &str) -> Step {
        match parse(line.as_bytes()) {
            Ok(c) => s.command(c),
            Err(e) => s.parse_error(&e),
        }
    }

    fn code(st: &Step) -> u16 {
        match st {
            Step::Reply(r) | Step::Close(r) | Step::ReceiveData(r) | Step::StartTls(r) => r.code,
            Step::DiscardChunk { reply, .. } => reply.code,
            Step::ResolveRecipient { .. } | Step::ReceiveChunk { .. } => 0,
        }
    }

    #[test]
    fn sequencing() {
        let mut s = session();
        assert_eq!(code(&step(&mut s, "MAIL FROM:<a@b>")), 503);
        assert_eq!(code(&step(&mut s, "LHLO x")), 250);
        assert_eq!(code(&step(&mut s, "RCPT TO:<a@b>")), 503);
        assert_eq!(code(&step(&mut s, "DATA")), 503);
        assert_eq!(code(&step(&mut s, "MAIL FROM:<a@b> SIZE=2000")), 552);
        assert_eq!(code(&step(&mut s, "MAIL FROM:<a@b> SIZE=20")), 250);
        assert_eq!(code(&step(&mut s, "MAIL FROM:<a@b>")), 503);
        assert_eq!(code(&step(&mut s, "DATA")), 503, "no recipients yet");
        let st = step(&mut s, "RCPT TO:<u@x>");
        assert_eq!(
            st,
            Step::ResolveRecipient {
                to: "u@x".into(),
                size: Some(20)
            }
        );
        assert_eq!(s.rcpt_resolved("u@x".into(), Ok(7)).code, 250);
        assert_eq!(
            s.rcpt_resolved("v@x".into(), Err(canned::unknown_user()))
                .code,
            550
        );
        assert_eq!(code(&step(&mut s, "DATA")), 354);
        let tx = s.finish_message().expect("transaction");
        assert_eq!(tx.recipients, vec![("u@x".to_string(), 7)]);
        assert!(s.transaction().is_none());
        assert_eq!(code(&step(&mut s, "HELO x")), 500);
        assert_eq!(code(&step(&mut s, "QUIT")), 221);
    }

    #[test]
    fn recipient_limit_and_bdat() {
        let mut s = session();
        step(&mut s, "LHLO x");
        assert_eq!(code(&step(&mut s, "BDAT 5")), 503);
        step(&mut s, "MAIL FROM:<>");
        assert_eq!(code(&step(&mut s, "BDAT 5 LAST")), 503, "no recipients");
        s.rcpt_resolved("a@x".into(), Ok(1));
        s.rcpt_resolved("b@x".into(), Ok(2));
        assert_eq!(code(&step(&mut s, "RCPT TO:<c@x>")), 452);
        assert_eq!(
            step(&mut s, "BDAT 5"),
            Step::ReceiveChunk {
                size: 5,
                last: false
            }
        );
        assert_eq!(code(&step(&mut s, "RCPT TO:<c@x>")), 503);
        assert_eq!(code(&step(&mut s, "DATA")), 503);
        assert_eq!(
            step(&mut s, "BDAT 0 LAST"),
            Step::ReceiveChunk {
                size: 0,
                last: true
            }
        );
        assert_eq!(code(&step(&mut s, "BDAT 5000 LAST")), 552);
        assert_eq!(code(&step(&mut s, "RSET")), 250);
        assert!(s.transaction().is_none());
    }

    #[test]
    fn lhlo_lists_extensions() {
        let mut s = session();
        let Step::Reply(r) = step(&mut s, "LHLO x") else {
            panic!("expected reply")
        };
        let text = String::from_utf8(r.to_bytes()).expect("utf8");
        for ext in [
            "PIPELINING",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "SMTPUTF8",
            "CHUNKING",
            "SIZE 1000",
        ] {
            assert!(text.contains(ext), "{text}");
        }
        assert!(!text.contains("STARTTLS"));
    }
}
