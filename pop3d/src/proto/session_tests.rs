//! Table tests of the session state machine: whole conversations, fed through the line reader
//! with the input split at every byte, against the exact bytes a driver would write.

use super::line::{Line, LineReader};
use super::session::{Action, LoginFailure, Message, Session, SessionConfig, commit_reply};
use eider_model::types::Uid;

fn cfg() -> SessionConfig {
    SessionConfig {
        plaintext_allowed: true,
        tls_available: false,
        tls_active: false,
        implementation: Some("Eider".into()),
        max_bad_commands: 4,
        max_auth_failures: 2,
    }
}

fn maildrop() -> Vec<Message> {
    vec![
        Message {
            uid: Uid(3),
            size: 10,
            uidl: "aa".into(),
        },
        Message {
            uid: Uid(7),
            size: 25,
            uidl: "bb".into(),
        },
    ]
}

/// Plays the driver: logins succeed for alice/secret (`busy` is locked elsewhere), RETR/TOP
/// write a marker, Commit writes what it would apply.
fn converse(cfg: SessionConfig, input: &[u8], split: usize) -> String {
    let mut s = Session::new(cfg);
    let mut out = s.greeting().to_bytes();
    let mut reader = LineReader::new(64);
    'outer: for part in [&input[..split], &input[split..]] {
        reader.push(part);
        while let Some(line) = reader.next_line() {
            let mut action = match line {
                Line::Complete(l) => s.on_line(&l),
                Line::TooLong => s.on_line_too_long(),
            };
            loop {
                match action {
                    Action::Reply(r) => r.encode(&mut out),
                    Action::Close(r) => {
                        r.encode(&mut out);
                        out.extend_from_slice(b"<closed>");
                        break 'outer;
                    }
                    Action::StartTls => out.extend_from_slice(b"<tls>\r\n"),
                    Action::Login { username, password } => {
                        action = match (username.as_str(), password.as_str()) {
                            ("alice", "secret") => Action::Reply(s.login_succeeded(maildrop())),
                            ("busy", _) => s.login_failed(LoginFailure::InUse),
                            _ => s.login_failed(LoginFailure::Credentials),
                        };
                        continue;
                    }
                    Action::Retrieve {
                        msg,
                        uid,
                        size,
                        top,
                    } => {
                        out.extend(format!("+OK {size}\r\n<{uid} {top:?}>\r\n.\r\n").bytes());
                        if top.is_none() {
                            s.retrieved(msg);
                        }
                    }
                    Action::Commit { delete, seen } => {
                        out.extend(format!("<commit del={delete:?} seen={seen:?}>").bytes());
                        commit_reply(true).encode(&mut out);
                        out.extend_from_slice(b"<closed>");
                        break 'outer;
                    }
                }
                break;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

const HI: &str = "+OK POP3 server ready\r\n";
const IN: &str = "+OK send PASS\r\n+OK maildrop has 2 messages (35 octets)\r\n";

#[test]
fn conversations_split_at_every_byte() {
    let table: Vec<(&str, String)> = vec![
        ("QUIT\r\n", format!("{HI}+OK bye\r\n<closed>")),
        (
            "USER alice\r\nPASS secret\r\nSTAT\r\nLIST\r\nUIDL 2\r\nQUIT\r\n",
            format!(
                "{HI}{IN}+OK 2 35\r\n+OK 2 messages\r\n1 10\r\n2 25\r\n.\r\n+OK 2 bb\r\n\
                 <commit del=[] seen=[]>+OK bye\r\n<closed>"
            ),
        ),
        (
            // RETR marks \Seen, TOP does not; DELE hides the message; RSET brings it back.
            "USER alice\nPASS secret\nRETR 2\nTOP 1 0\nDELE 1\nLIST 1\nRETR 1\nSTAT\nRSET\n\
             DELE 2\nQUIT\n",
            format!(
                "{HI}{IN}+OK 25\r\n<7 None>\r\n.\r\n+OK 10\r\n<3 Some(0)>\r\n.\r\n\
                 +OK message 1 deleted\r\n-ERR no such message\r\n-ERR no such message\r\n\
                 +OK 1 25\r\n+OK maildrop has 2 messages\r\n+OK message 2 deleted\r\n\
                 <commit del=[Uid(7)] seen=[Uid(7)]>+OK bye\r\n<closed>"
            ),
        ),
        (
            // AUTH PLAIN with initial response, then with a continuation; "=" is empty.
            "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nUIDL\r\nQUIT\r\n",
            format!(
                "{HI}+OK maildrop has 2 messages (35 octets)\r\n\
                 +OK unique-id listing follows\r\n1 aa\r\n2 bb\r\n.\r\n\
                 <commit del=[] seen=[]>+OK bye\r\n<closed>"
            ),
        ),
        (
            "AUTH PLAIN\r\nYWxpY2UAYWxpY2UAc2VjcmV0\r\nNOOP\r\n",
            format!("{HI}+ \r\n+OK maildrop has 2 messages (35 octets)\r\n+OK\r\n"),
        ),
        (
            "AUTH PLAIN\r\n*\r\nAUTH PLAIN =\r\n",
            format!("{HI}+ \r\n-ERR authentication cancelled\r\n-ERR malformed PLAIN response\r\n"),
        ),
        (
            // A wrong authzid is refused; two credential failures close the connection.
            "AUTH PLAIN Ym9iAGFsaWNlAHNlY3JldA==\r\nUSER alice\r\nPASS wrong\r\nNOOP\r\n",
            format!(
                "{HI}-ERR [AUTH] invalid credentials\r\n+OK send PASS\r\n-ERR [AUTH] invalid credentials\r\n<closed>"
            ),
        ),
        (
            "USER busy\r\nPASS x\r\n",
            format!(
                "{HI}+OK send PASS\r\n-ERR [IN-USE] maildrop is locked by another POP3 session\r\n"
            ),
        ),
        (
            // Unknown and wrong-state commands keep the connection until the limit (4).
            "XYZZY\r\nSTAT\r\nPASS x\r\nCAPA\r\nRETR x\r\nNOOP\r\n",
            format!(
                "{HI}-ERR unknown command\r\n-ERR not valid before login\r\n-ERR USER first\r\n\
                 +OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
                 PIPELINING\r\nEXPIRE NEVER\r\nUSER\r\nSASL PLAIN\r\nUTF8 USER\r\n\
                 IMPLEMENTATION Eider\r\n.\r\n-ERR too many bad commands, closing\r\n<closed>"
            ),
        ),
        (
            "USER alice\r\nPASS secret\r\nCAPA\r\nUSER x\r\nRETR 3\r\nTOP 1\r\nQUIT\r\n",
            format!(
                "{HI}{IN}+OK capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\n\
                 AUTH-RESP-CODE\r\nPIPELINING\r\nEXPIRE NEVER\r\nUTF8\r\n\
                 IMPLEMENTATION Eider\r\n.\r\n-ERR not valid after login\r\n\
                 -ERR no such message\r\n-ERR wrong number of arguments\r\n\
                 <commit del=[] seen=[]>+OK bye\r\n<closed>"
            ),
        ),
        (
            "UTF8\r\nSTLS\r\n0123456789012345678901234567890123456789012345678901234567890123456789\r\nNOOP\r\n",
            format!(
                "{HI}+OK UTF8 enabled\r\n-ERR STLS not available\r\n-ERR line too long\r\n\
                 -ERR not valid before login\r\n"
            ),
        ),
    ];
    for (input, want) in &table {
        for split in 0..=input.len() {
            assert_eq!(
                &converse(cfg(), input.as_bytes(), split),
                want,
                "input {input:?} split at {split}"
            );
        }
    }
}

#[test]
fn plaintext_refused_without_tls_then_allowed_after_stls() {
    let no_plain = SessionConfig {
        plaintext_allowed: false,
        tls_available: true,
        implementation: None,
        ..cfg()
    };
    let mut s = Session::new(no_plain);
    let caps = s.capabilities();
    assert!(caps.contains(&"STLS".to_owned()));
    assert!(!caps.iter().any(|c| c == "USER" || c.starts_with("SASL")));
    assert!(!caps.iter().any(|c| c.starts_with("IMPLEMENTATION")));
    let Action::Reply(r) = s.on_line(b"USER alice") else {
        panic!()
    };
    assert_eq!(
        r.to_bytes(),
        b"-ERR [AUTH] plaintext authentication needs TLS (use STLS)\r\n"
    );
    assert!(matches!(s.on_line(b"AUTH PLAIN"), Action::Reply(r) if !r.is_ok()));
    assert_eq!(s.on_line(b"STLS"), Action::StartTls);
    s.tls_started();
    let caps = s.capabilities();
    assert!(caps.contains(&"USER".to_owned()) && !caps.contains(&"STLS".to_owned()));
    assert!(matches!(s.on_line(b"STLS"), Action::Reply(r) if !r.is_ok()));
    assert!(matches!(s.on_line(b"USER alice"), Action::Reply(r) if r.is_ok()));
    assert!(matches!(s.on_line(b"PASS x"), Action::Login { .. }));
}

#[test]
fn temporary_login_failure_does_not_count() {
    let mut s = Session::new(cfg());
    for _ in 0..5 {
        assert!(matches!(s.on_line(b"USER alice"), Action::Reply(_)));
        assert!(matches!(s.on_line(b"PASS x"), Action::Login { .. }));
        assert!(matches!(
            s.login_failed(LoginFailure::Temporary),
            Action::Reply(_)
        ));
    }
    assert!(!s.is_done());
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn command_like() -> impl Strategy<Value = Vec<u8>> {
        let keyword = prop::sample::select(vec![
            "USER", "PASS", "STAT", "LIST", "UIDL", "RETR", "TOP", "DELE", "NOOP", "RSET", "QUIT",
            "CAPA", "STLS", "AUTH", "UTF8", "APOP", "",
        ]);
        (keyword, prop::collection::vec(any::<u8>(), 0..24))
            .prop_map(|(k, tail)| [k.as_bytes(), b" ", &tail].concat())
    }

    proptest! {
        /// Any input, in any state, yields an action and never panics; the bad-command limit
        /// always ends a flood of garbage.
        #[test]
        fn arbitrary_lines_never_panic(
            lines in prop::collection::vec(
                prop_oneof![command_like(), prop::collection::vec(any::<u8>(), 0..40)],
                0..40,
            ),
            login_first in any::<bool>(),
        ) {
            let mut s = Session::new(cfg());
            if login_first {
                let _ = s.on_line(b"USER alice");
                let _ = s.on_line(b"PASS secret");
                let _ = s.login_succeeded(maildrop());
            }
            for line in &lines {
                if s.is_done() {
                    break;
                }
                match s.on_line(line) {
                    Action::Login { .. } => {
                        let _ = s.login_failed(LoginFailure::Credentials);
                    }
                    Action::Retrieve { msg, .. } => s.retrieved(msg),
                    _ => {}
                }
            }
        }
    }
}
