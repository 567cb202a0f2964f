//! Parser tables: every input goes through the receiver whole, byte by byte and split at every
//! position (see `testkit`). One file per command, named like its parser; commands without
//! arguments, and the cross-command checks (malformed input, trailing spaces), are here.

use super::*;
use crate::proto::datetime::Date;
use crate::proto::flag::Flag;
use crate::proto::receiver::Limits;
use crate::proto::seqset::SeqBound::{Num, Star};
use crate::proto::testkit::{Ev, Policy, parse_line, run_all_splits};
use eider_model::SpecialUse;

mod copy;
mod fetch;
mod list;
mod mailboxes;
mod r#move;
mod search;
mod select;
mod status;
mod store;

fn mb(s: &str) -> RawMailbox {
    RawMailbox(s.as_bytes().to_vec())
}

fn set(s: &str) -> SequenceSet {
    SequenceSet::parse_str(s).unwrap()
}

fn sec(part: &[u32], text: Option<SectionPart>) -> Section {
    Section {
        part: part.to_vec(),
        text,
    }
}

fn body_sec(section: Section, partial: Option<(u32, u32)>, peek: bool) -> FetchAttr {
    FetchAttr::BodySection {
        section,
        partial,
        peek,
    }
}

fn search(
    uid: bool,
    returns: Option<Vec<SearchReturn>>,
    charset: Option<&str>,
    criteria: Vec<SearchKey>,
) -> CommandBody {
    CommandBody::Search(Search {
        uid,
        returns,
        charset: charset.map(Into::into),
        criteria,
    })
}

#[test]
fn simple_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
        ("a CAPABILITY", B::Capability),
        ("a capability", B::Capability),
        ("a NOOP", B::Noop),
        ("a LOGOUT", B::Logout),
        ("a STARTTLS", B::StartTls),
        ("a CHECK", B::Check),
        ("a CLOSE", B::Close),
        ("a UNSELECT", B::Unselect),
        ("a EXPUNGE", B::Expunge),
        ("a IDLE", B::Idle),
        ("a NAMESPACE", B::Namespace),
        ("a COMPRESS DEFLATE", B::Compress("DEFLATE".into())),
        ("a UID EXPUNGE 1:3,7", B::UidExpunge(set("1:3,7"))),
        (
            "a ENABLE CONDSTORE UTF8=ACCEPT",
            B::Enable(vec!["CONDSTORE".into(), "UTF8=ACCEPT".into()]),
        ),
        ("a ID NIL", B::Id(None)),
        (
            "a ID (\"name\" \"Thunderbird\" \"version\" NIL)",
            B::Id(Some(vec![
                (b"name".to_vec(), Some(b"Thunderbird".to_vec())),
                (b"version".to_vec(), None),
            ])),
        ),
        ("a ID ()", B::Id(Some(vec![]))),
        (
            "a LOGIN user \"p a\\\"ss\"",
            B::Login(Login {
                username: b"user".to_vec(),
                password: b"p a\"ss".to_vec(),
            }),
        ),
        (
            "a AUTHENTICATE plain",
            B::Authenticate(Authenticate {
                mechanism: "PLAIN".into(),
                initial: None,
            }),
        ),
        (
            "a AUTHENTICATE PLAIN AHVAAHA=",
            B::Authenticate(Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(b"\0u@\0p".to_vec()),
            }),
        ),
        (
            "a AUTHENTICATE PLAIN =",
            B::Authenticate(Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(vec![]),
            }),
        ),
        ("a GETQUOTA \"\"", B::GetQuota(vec![])),
        ("a GETQUOTAROOT INBOX", B::GetQuotaRoot(mb("INBOX"))),
        (
            "a SETQUOTA \"\" (STORAGE 512)",
            B::SetQuota(SetQuota {
                root: vec![],
                limits: vec![("STORAGE".into(), 512)],
            }),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}

#[test]
fn malformed_commands() {
    let cases = [
        "a LOGIN onlyuser",
        "a SELECT",
        "a SELECT INBOX (QRESYNC)",
        "a CREATE x (USE (\\Bogus))",
        "a STATUS INBOX ()",
        "a STATUS INBOX (BOGUS)",
        "a FETCH 1 (FLAGS",
        "a FETCH 1 (ALL)",
        "a FETCH 0 FLAGS",
        "a FETCH 1 BODY[1.MIMEX]",
        "a FETCH 1 BODY[MIME]",
        "a FETCH 1 BODY[]<0>",
        "a FETCH 1 BODY[HEADER.FIELDS ()]",
        "a FETCH 1 BOGUS",
        "a APPEND INBOX \"not a literal\"",
        "a FETCH 1 BINARY[1.TEXT]",
        "a FETCH 1 BINARY[1.]",
        "a STORE 1 FLAGS",
        "a STORE 1 XFLAGS (\\Seen)",
        "a SEARCH",
        "a SEARCH BOGUS",
        "a SEARCH BEFORE 31-Feb-2020",
        "a SEARCH OR ALL",
        "a SEARCH (ALL",
        "a UID BOGUS 1",
        "a LIST (RECURSIVEMATCH) \"\" *",
        "a LIST \"\" * RETURN (BOGUS)",
        "a ENABLE",
        "a AUTHENTICATE PLAIN !!!",
        "a ID (\"k\")",
        "a LOGIN \"unterminated",
        "a LOGIN a\\b c",
        "+ NOOP",
    ];
    for line in cases {
        let got = parse_line(line);
        assert!(got.is_err(), "{line} parsed as {got:?}");
        // The connection survives: the next command parses, under every split.
        let input = format!("{line}\r\nz NOOP\r\n");
        let mut evs = run_all_splits(input.as_bytes(), Limits::default(), Policy::Accept);
        evs.retain(|e| !matches!(e, Ev::NeedsLiteral(_)));
        let tag_ok = |e: &Ev| matches!(e, Ev::Err(ReceiveError { tag, .. }) if tag.as_deref() == Some("a") || line.starts_with('+'));
        assert!(evs.len() == 2 && tag_ok(&evs[0]), "{line}: {evs:?}");
        assert_eq!(
            evs[1],
            Ev::Cmd(Command {
                tag: "z".into(),
                body: CommandBody::Noop
            }),
            "{line}"
        );
    }
    // Deep nesting is refused, not a stack overflow.
    let deep = format!("a SEARCH {}ALL", "NOT ".repeat(1000));
    assert!(super::parse(deep.as_bytes()).is_err());
    let deep = format!("a SEARCH {}ALL{}", "(".repeat(1000), ")".repeat(1000));
    assert!(super::parse(deep.as_bytes()).is_err());
}

#[test]
fn trailing_space_tolerated() {
    let cases = [
        "a NOOP ",
        "a SELECT INBOX ",
        "a SELECT INBOX (CONDSTORE) ",
        "a CREATE x ",
        "a LIST \"\" * ",
        "a LIST \"\" * RETURN (CHILDREN) ",
        "a STATUS INBOX (MESSAGES) ",
        "a SEARCH ALL ",
        "a FETCH 1 (FLAGS) ",
        "a FETCH 1 FLAGS (CHANGEDSINCE 4) ",
        "a STORE 1 +FLAGS \\Seen ",
        "a ENABLE CONDSTORE ",
        "a AUTHENTICATE PLAIN ",
        "a UID EXPUNGE 1 ",
        "a LOGIN u p ",
        "a COPY 1 x ",
    ];
    for line in cases {
        let trimmed = parse_line(line.trim_end());
        assert!(trimmed.is_ok(), "{line}: {trimmed:?}");
        assert_eq!(parse_line(line), trimmed, "{line}");
    }
}
