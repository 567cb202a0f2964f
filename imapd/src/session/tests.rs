//! Session flows: each step feeds one client line and checks the encoded replies or the action.

use super::*;
use crate::proto::command;
use crate::proto::error::ErrorKind;
use eider_model::types::{MailboxId, UidValidity, UserId};

fn config(plaintext: bool) -> SessionConfig {
    SessionConfig {
        plaintext_auth: plaintext,
        starttls: true,
        tls_active: false,
        max_append: 1000,
        literal_plus: false,
        compress: true,
    }
}

fn cmd(line: &str) -> Command {
    command::parse(line.as_bytes()).unwrap()
}

fn wire(rs: &[Response], s: &Session) -> String {
    let mut out = Vec::new();
    for r in rs {
        r.encode(&mut out, s.encode_options());
    }
    String::from_utf8(out).unwrap()
}

fn replies(s: &mut Session, line: &str) -> String {
    match s.on_command(cmd(line)) {
        Action::Reply(rs) | Action::Close(rs) | Action::ReadRawLine(rs) => wire(&rs, s),
        other => panic!("{line}: expected a reply, got {other:?}"),
    }
}

fn user() -> AuthUser {
    AuthUser {
        id: UserId(7),
        username: "alice".into(),
    }
}

fn logged_in() -> Session {
    let mut s = Session::new(config(true));
    let Action::CheckCredentials { tag, .. } = s.on_command(cmd("a LOGIN alice secret")) else {
        panic!()
    };
    s.login_result(&tag, Ok(user()));
    s
}

fn mailbox(read_only: bool) -> SelectedMailbox {
    SelectedMailbox {
        id: MailboxId(3),
        path: "INBOX".into(),
        uid_validity: UidValidity(99),
        read_only,
    }
}

fn select(s: &mut Session, read_only: bool) -> String {
    let line = if read_only {
        "s EXAMINE INBOX"
    } else {
        "s SELECT INBOX"
    };
    let Action::Execute { tag, .. } = s.on_command(cmd(line)) else {
        panic!()
    };
    let info = SelectInfo {
        mailbox: mailbox(read_only),
        flags: vec![Flag::Seen, Flag::Deleted],
        permanent_flags: vec![Flag::Seen, Flag::Deleted, Flag::MayCreate],
        exists: 4,
        recent: 0,
        first_unseen: Some(2),
        uid_next: 10,
        highest_modseq: Some(55),
    };
    wire(&s.complete(&tag, Completion::Selected(info)), s)
}

#[test]
fn state_table_enforced() {
    let mut s = Session::new(config(true));
    let cases = [
        ("a SELECT INBOX", "a BAD SELECT not allowed now\r\n"),
        ("a FETCH 1 FLAGS", "a BAD FETCH not allowed now\r\n"),
        ("a ENABLE CONDSTORE", "a BAD ENABLE not allowed now\r\n"),
        ("a NOOP", "a OK NOOP completed\r\n"),
        (
            "a ID NIL",
            "* ID (\"name\" \"Eider\")\r\na OK ID completed\r\n",
        ),
    ];
    for (line, want) in cases {
        assert_eq!(replies(&mut s, line), want, "{line}");
    }
    let mut s = logged_in();
    assert_eq!(
        replies(&mut s, "b LOGIN x y"),
        "b BAD LOGIN not allowed now\r\n"
    );
    assert_eq!(
        replies(&mut s, "b EXPUNGE"),
        "b BAD EXPUNGE not allowed now\r\n"
    );
    assert!(matches!(
        s.on_command(cmd("b LIST \"\" *")),
        Action::Execute { mailbox: None, .. }
    ));
}

#[test]
fn capabilities_depend_on_state_and_tls() {
    let mut s = Session::new(config(false));
    let pre = replies(&mut s, "a CAPABILITY");
    assert!(
        pre.contains("STARTTLS") && pre.contains("LOGINDISABLED") && !pre.contains("AUTH=PLAIN"),
        "{pre}"
    );
    assert_eq!(
        replies(&mut s, "b LOGIN u p"),
        "b NO [PRIVACYREQUIRED] Use STARTTLS first\r\n"
    );
    assert!(matches!(
        s.on_command(cmd("c STARTTLS")),
        Action::StartTls(_)
    ));
    let post_tls = replies(&mut s, "d CAPABILITY");
    assert!(
        !post_tls.contains("STARTTLS") && post_tls.contains("AUTH=PLAIN"),
        "{post_tls}"
    );
    assert!(matches!(
        s.on_command(cmd("e LOGIN u p")),
        Action::CheckCredentials { .. }
    ));
    let ok = wire(&s.login_result("e", Ok(user())), &s);
    assert!(
        ok.starts_with("e OK [CAPABILITY IMAP4rev1 ")
            && ok.contains("CONDSTORE")
            && ok.contains("APPENDLIMIT=1000"),
        "{ok}"
    );
}

#[test]
fn credentials_never_in_debug_output() {
    let mut s = Session::new(config(true));
    let a = s.on_command(cmd("a LOGIN alice hunter2"));
    assert!(
        matches!(&a, Action::CheckCredentials { password, .. } if password.expose() == "hunter2")
    );
    assert!(!format!("{a:?}").contains("hunter2"));
    let c = cmd("b LOGIN alice hunter2");
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn login_failures() {
    let mut s = Session::new(config(true));
    let out = s.login_result(
        "a",
        Err(CommandError::No {
            code: None,
            text: "x".into(),
        }),
    );
    assert_eq!(
        wire(&out, &s),
        "a NO [AUTHENTICATIONFAILED] Authentication failed\r\n"
    );
    let out = s.login_result(
        "a",
        Err(CommandError::Internal {
            detail: "db down".into(),
        }),
    );
    let w = wire(&out, &s);
    assert_eq!(w, "a NO [SERVERBUG] Internal error, try again later\r\n");
    assert!(!w.contains("db down"));
    assert_eq!(s.state(), &State::NotAuthenticated);
}

#[test]
fn authenticate_plain_flows() {
    // SASL-IR.
    let mut s = Session::new(config(true));
    let a = s.on_command(cmd("a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA=="));
    assert_eq!(
        a,
        Action::CheckCredentials {
            tag: "a".into(),
            username: "alice".into(),
            password: Secret("secret".into())
        }
    );
    // Continuation.
    assert_eq!(replies(&mut s, "b AUTHENTICATE PLAIN"), "+ \r\n");
    let a = s.on_raw_line(b"AGFsaWNlAHNlY3JldA==");
    assert!(matches!(a, Action::CheckCredentials { ref tag, .. } if tag == "b"));
    // Cancel and garbage.
    assert_eq!(replies(&mut s, "c AUTHENTICATE PLAIN"), "+ \r\n");
    assert!(
        matches!(s.on_raw_line(b"*"), Action::Reply(r) if wire(&r, &s) == "c BAD AUTHENTICATE cancelled\r\n")
    );
    replies(&mut s, "d AUTHENTICATE PLAIN");
    assert!(
        matches!(s.on_raw_line(b"@@@"), Action::Reply(r) if wire(&r, &s) == "d BAD Invalid base64\r\n")
    );
    // Other mechanisms and other identities.
    assert_eq!(
        replies(&mut s, "e AUTHENTICATE CRAM-MD5"),
        "e NO [CANNOT] Unsupported authentication mechanism\r\n"
    );
    // "bob\0alice\0secret"
    assert_eq!(
        replies(&mut s, "f AUTHENTICATE PLAIN Ym9iAGFsaWNlAHNlY3JldA=="),
        "f NO [AUTHORIZATIONFAILED] Cannot act as another user\r\n"
    );
}

#[test]
fn select_close_unselect() {
    let mut s = logged_in();
    let out = select(&mut s, false);
    assert_eq!(
        out,
        "* FLAGS (\\Seen \\Deleted)\r\n* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] Flags permitted\r\n\
         * 4 EXISTS\r\n* 0 RECENT\r\n* OK [UNSEEN 2] First unseen\r\n* OK [UIDVALIDITY 99] UIDs valid\r\n\
         * OK [UIDNEXT 10] Predicted next UID\r\n* OK [HIGHESTMODSEQ 55] Highest\r\ns OK [READ-WRITE] SELECT completed\r\n"
    );
    assert_eq!(s.state().mailbox(), Some(&mailbox(false)));
    assert!(matches!(
        s.on_command(cmd("f FETCH 1 FLAGS")),
        Action::Execute {
            mailbox: Some(_),
            ..
        }
    ));
    assert!(matches!(
        s.on_command(cmd("c CLOSE")),
        Action::Execute { .. }
    ));
    assert_eq!(
        wire(&s.complete("c", Completion::Closed), &s),
        "c OK CLOSE completed\r\n"
    );
    assert!(matches!(s.state(), State::Authenticated(_)));
    select(&mut s, false);
    assert_eq!(replies(&mut s, "u UNSELECT"), "u OK UNSELECT completed\r\n");
    assert!(matches!(s.state(), State::Authenticated(_)));
    // A failed SELECT leaves nothing selected (RFC 3501 §6.3.1).
    select(&mut s, false);
    let Action::Execute { tag, .. } = s.on_command(cmd("x SELECT Nope")) else {
        panic!()
    };
    let out = s.complete(
        &tag,
        Completion::Failed(CommandError::no(Code::NonExistent, "No such mailbox")),
    );
    assert_eq!(wire(&out, &s), "x NO [NONEXISTENT] No such mailbox\r\n");
    assert!(matches!(s.state(), State::Authenticated(_)));
}

#[test]
fn read_only_mailbox_refuses_changes() {
    let mut s = logged_in();
    assert!(select(&mut s, true).ends_with("s OK [READ-ONLY] EXAMINE completed\r\n"));
    for line in [
        "a STORE 1 +FLAGS (\\Seen)",
        "a EXPUNGE",
        "a UID EXPUNGE 1",
        "a MOVE 1 Trash",
    ] {
        assert_eq!(
            replies(&mut s, line),
            "a NO [CANNOT] Mailbox is read-only\r\n",
            "{line}"
        );
    }
    assert!(matches!(
        s.on_command(cmd("a COPY 1 Trash")),
        Action::Execute { .. }
    ));
}

#[test]
fn enable_idle_logout() {
    let mut s = logged_in();
    assert_eq!(
        replies(&mut s, "a ENABLE UTF8=ACCEPT X-UNKNOWN CONDSTORE"),
        "* ENABLED UTF8=ACCEPT CONDSTORE\r\na OK ENABLE completed\r\n"
    );
    assert!(s.encode_options().utf8 && s.condstore());
    assert_eq!(
        replies(&mut s, "b ENABLE CONDSTORE"),
        "* ENABLED\r\nb OK ENABLE completed\r\n"
    );
    assert_eq!(
        s.on_command(cmd("c IDLE")),
        Action::Idle(Response::Continue("idling".into()))
    );
    assert!(
        matches!(s.on_raw_line(b"done"), Action::Reply(r) if wire(&r, &s) == "c OK IDLE terminated\r\n")
    );
    assert!(matches!(
        s.on_command(cmd("d COMPRESS DEFLATE")),
        Action::StartCompress(_)
    ));
    assert_eq!(
        replies(&mut s, "e COMPRESS DEFLATE"),
        "e NO [COMPRESSIONACTIVE] Already compressing\r\n"
    );
    assert_eq!(
        replies(&mut s, "f SETQUOTA \"\" (STORAGE 1)"),
        "f NO [NOPERM] Quotas are set by the administrator\r\n"
    );
    assert_eq!(
        replies(&mut s, "z LOGOUT"),
        "* BYE Logging out\r\nz OK LOGOUT completed\r\n"
    );
    assert_eq!(s.state(), &State::Logout);
    assert_eq!(replies(&mut s, "y NOOP"), "y BAD NOOP not allowed now\r\n");
}

#[test]
fn append_decisions_and_receive_errors() {
    let header = |size| command::AppendHeader {
        tag: "a".into(),
        mailbox: crate::proto::mailbox::RawMailbox(b"INBOX".to_vec()),
        flags: vec![],
        date: None,
        literal_size: size,
        synchronizing: true,
        utf8: false,
        binary: false,
    };
    let mut s = Session::new(config(true));
    assert!(
        matches!(s.on_append(header(5)), Action::RefuseAppend(r) if wire(&r, &s) == "a BAD APPEND not allowed now\r\n")
    );
    let mut s = logged_in();
    assert!(matches!(s.on_append(header(5)), Action::Append { .. }));
    assert!(
        matches!(s.on_append(header(5000)), Action::RefuseAppend(r) if wire(&r, &s) == "a NO [TOOBIG] Message too large\r\n")
    );
    let cases = [
        (
            Some("t"),
            ErrorKind::UnknownCommand,
            "t BAD Unknown command\r\n",
        ),
        (
            None,
            ErrorKind::Syntax("missing tag"),
            "* BAD Syntax error: missing tag\r\n",
        ),
        (
            Some("t"),
            ErrorKind::AppendTooLarge { size: 9, max: 1 },
            "t NO [TOOBIG] Message too large\r\n",
        ),
        (
            Some("t"),
            ErrorKind::NonSyncLiteralTooLarge {
                size: 9999,
                in_append: false,
            },
            "t BAD [TOOBIG] Literal too large\r\n",
        ),
        (
            Some("t"),
            ErrorKind::LineTooLong,
            "t BAD [TOOBIG] Command too long\r\n",
        ),
    ];
    for (tag, kind, want) in cases {
        let e = ReceiveError {
            tag: tag.map(Into::into),
            kind,
        };
        let Action::Reply(r) = s.on_receive_error(&e) else {
            panic!()
        };
        assert_eq!(wire(&r, &s), want);
    }
}

#[test]
fn search_charset_and_mailbox_names() {
    let mut s = logged_in();
    select(&mut s, false);
    assert_eq!(
        replies(&mut s, "a SEARCH CHARSET X-BOGUS ALL"),
        "a NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset\r\n"
    );
    // Other charsets are decoded to UTF-8 before the driver sees the keys.
    let latin1 =
        command::parse(b"a SEARCH CHARSET ISO-8859-1 OR SUBJECT {4}\r\ncaf\xe9 NOT BODY \"\xfc\"")
            .unwrap();
    let Action::Execute {
        command: CommandBody::Search(q),
        ..
    } = s.on_command(latin1)
    else {
        panic!()
    };
    assert_eq!(q.charset.as_deref(), Some("UTF-8"));
    use crate::proto::command::SearchKey as K;
    assert_eq!(
        q.criteria,
        vec![K::Or(
            Box::new(K::Subject("café".as_bytes().to_vec())),
            Box::new(K::Not(Box::new(K::Body("ü".as_bytes().to_vec()))))
        )]
    );
    assert!(matches!(
        s.on_command(cmd("a SEARCH CHARSET utf-8 ALL")),
        Action::Execute { .. }
    ));
    let raw = |b: &[u8]| crate::proto::mailbox::RawMailbox(b.to_vec());
    assert_eq!(s.mailbox_path(&raw(b"Entw&APw-rfe")), Ok("Entwürfe".into()));
    assert!(matches!(
        s.mailbox_path(&raw("Entwürfe".as_bytes())),
        Err(CommandError::Bad(_))
    ));
    assert!(matches!(
        s.mailbox_path(&raw(b"a//b")),
        Err(CommandError::No { .. })
    ));
    // ENABLE with a mailbox selected (as Dovecot allows): CONDSTORE needs HIGHESTMODSEQ first.
    assert_eq!(
        replies(&mut s, "e ENABLE UTF8=ACCEPT"),
        "* ENABLED UTF8=ACCEPT\r\ne OK ENABLE completed\r\n"
    );
    assert!(matches!(
        s.on_command(cmd("f ENABLE CONDSTORE")),
        Action::AnnounceHighestModSeq(r) if wire(&r, &s) == "* ENABLED CONDSTORE\r\nf OK ENABLE completed\r\n"
    ));
    assert_eq!(
        replies(&mut s, "g ENABLE CONDSTORE"),
        "* ENABLED\r\ng OK ENABLE completed\r\n"
    );
    let mut s = logged_in();
    replies(&mut s, "e ENABLE UTF8=ACCEPT");
    assert_eq!(
        s.mailbox_path(&raw("Entwürfe".as_bytes())),
        Ok("Entwürfe".into())
    );
}

#[test]
fn condstore_enabling_commands_and_limits() {
    let mut s = logged_in();
    select(&mut s, false);
    let announced = |a: &Action| {
        matches!(
            a,
            Action::Execute {
                announce_highest_modseq: true,
                ..
            }
        )
    };
    let first = s.on_command(cmd("a FETCH 1 (FLAGS MODSEQ)"));
    assert!(announced(&first), "{first:?}");
    let again = s.on_command(cmd("a FETCH 1 (FLAGS) (CHANGEDSINCE 1)"));
    assert!(!announced(&again));

    let mut s = logged_in();
    assert!(!s.condstore());
    select(&mut s, false);
    assert!(matches!(
        s.on_command(cmd("a SEARCH NOT (MODSEQ 5)")),
        Action::Execute { .. }
    ));
    assert!(s.condstore());
    let mut s = logged_in();
    select(&mut s, false);
    s.on_command(cmd("a FETCH 1 (FLAGS) (CHANGEDSINCE 3)"));
    assert!(s.condstore());
    let mut s = logged_in();
    s.on_command(cmd("a SELECT INBOX (CONDSTORE)"));
    assert!(s.condstore());

    let pre = Session::new(config(true));
    assert_eq!(pre.limits().max_literal, 4096);
    assert_eq!(pre.limits().max_append, 1000);
    assert!(!pre.limits().literal_plus);
    assert_eq!(logged_in().limits().max_literal, 65536);
}

/// Replays imaplib's transcript through receiver and session: no command is refused for its
/// state and the state ends where the client expects.
#[test]
fn imaplib_transcript_through_session() {
    use crate::proto::receiver::Limits;
    use crate::proto::testkit::{Ev, Policy, run_chunks};
    let input = include_bytes!("../../tests/fixtures/imaplib_session.bin");
    let evs = run_chunks(&[input], Limits::default(), Policy::Accept);
    let cfg = SessionConfig {
        max_append: 1 << 20,
        ..config(true)
    };
    let mut s = Session::new(cfg.clone());
    let mut out = String::new();
    let mut sessions = 1;
    for ev in evs {
        let action = match ev {
            Ev::Cmd(c) => s.on_command(c),
            Ev::Append(h) => s.on_append(h),
            Ev::Raw(line) => s.on_raw_line(&line),
            Ev::Data(_) | Ev::NeedsLiteral(_) | Ev::End => continue,
            Ev::Err(e) => panic!("{e:?}"),
        };
        let rs = match action {
            Action::CheckCredentials { tag, .. } => s.login_result(&tag, Ok(user())),
            Action::Execute {
                tag,
                command: CommandBody::Select(_) | CommandBody::Examine(_),
                ..
            } => {
                let info = SelectInfo {
                    mailbox: mailbox(false),
                    flags: vec![],
                    permanent_flags: vec![],
                    exists: 0,
                    recent: 0,
                    first_unseen: None,
                    uid_next: 1,
                    highest_modseq: None,
                };
                s.complete(&tag, Completion::Selected(info))
            }
            Action::Execute {
                tag,
                command: CommandBody::Close,
                ..
            } => s.complete(&tag, Completion::Closed),
            Action::Execute { tag, .. } => s.complete(
                &tag,
                Completion::Ok {
                    code: None,
                    text: "done".into(),
                },
            ),
            Action::Append { header, .. } => s.complete(
                &header.tag,
                Completion::Ok {
                    code: None,
                    text: "done".into(),
                },
            ),
            Action::Close(rs) => {
                let w = wire(&rs, &s);
                s = Session::new(cfg.clone());
                sessions += 1;
                out.push_str(&w);
                continue;
            }
            Action::Reply(rs)
            | Action::ReadRawLine(rs)
            | Action::RefuseAppend(rs)
            | Action::AnnounceHighestModSeq(rs) => rs,
            Action::Idle(r) | Action::StartTls(r) | Action::StartCompress(r) => vec![r],
        };
        out.push_str(&wire(&rs, &s));
    }
    assert_eq!(sessions, 3);
    assert!(!out.contains(" BAD "), "{out}");
    // SETQUOTA is the one refusal.
    assert_eq!(out.matches(" NO ").count(), 1, "{out}");
    assert!(out.contains("NO [NOPERM]"));
}
