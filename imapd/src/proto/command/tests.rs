//! Parser tables: every input goes through the receiver whole, byte by byte and split at every
//! position (see `testkit`).

use super::*;
use crate::proto::datetime::Date;
use crate::proto::flag::Flag;
use crate::proto::receiver::Limits;
use crate::proto::seqset::SeqBound::{Num, Star};
use crate::proto::testkit::{Ev, Policy, parse_line, run_all_splits};
use eider_model::SpecialUse;

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
fn mailbox_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
        (
            "a SELECT INBOX",
            B::Select(Select {
                mailbox: mb("INBOX"),
                condstore: false,
            }),
        ),
        (
            "a SELECT \"Sent Items\" (CONDSTORE)",
            B::Select(Select {
                mailbox: mb("Sent Items"),
                condstore: true,
            }),
        ),
        (
            "a EXAMINE {5}\r\nDraft",
            B::Examine(Select {
                mailbox: mb("Draft"),
                condstore: false,
            }),
        ),
        (
            "a CREATE foo/bar",
            B::Create(Create {
                mailbox: mb("foo/bar"),
                special_use: vec![],
            }),
        ),
        (
            "a CREATE MySent (USE (\\Sent \\Archive))",
            B::Create(Create {
                mailbox: mb("MySent"),
                special_use: vec![SpecialUse::Sent, SpecialUse::Archive],
            }),
        ),
        ("a DELETE x", B::Delete(mb("x"))),
        (
            "a RENAME x \"y z\"",
            B::Rename(Rename {
                from: mb("x"),
                to: mb("y z"),
            }),
        ),
        ("a SUBSCRIBE x", B::Subscribe(mb("x"))),
        ("a UNSUBSCRIBE x", B::Unsubscribe(mb("x"))),
        (
            "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE APPENDLIMIT)",
            B::Status(Status {
                mailbox: mb("INBOX"),
                items: vec![
                    StatusItem::Messages,
                    StatusItem::Recent,
                    StatusItem::UidNext,
                    StatusItem::UidValidity,
                    StatusItem::Unseen,
                    StatusItem::HighestModSeq,
                    StatusItem::Size,
                    StatusItem::AppendLimit,
                ],
            }),
        ),
        (
            "a LSUB \"\" *",
            B::Lsub {
                reference: vec![],
                pattern: b"*".to_vec(),
            },
        ),
        (
            "a XLIST \"\" %",
            B::Xlist {
                reference: vec![],
                pattern: b"%".to_vec(),
            },
        ),
        (
            "a LIST \"\" *",
            B::List(List {
                reference: vec![],
                patterns: vec![b"*".to_vec()],
                ..List::default()
            }),
        ),
        (
            "a LIST \"\" INBOX/%",
            B::List(List {
                reference: vec![],
                patterns: vec![b"INBOX/%".to_vec()],
                ..List::default()
            }),
        ),
        (
            "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))",
            B::List(List {
                select: ListSelect {
                    subscribed: true,
                    recursive_match: true,
                    ..ListSelect::default()
                },
                reference: vec![],
                patterns: vec![b"INBOX".to_vec(), b"Sent*".to_vec()],
                returns: ListReturn {
                    children: true,
                    special_use: true,
                    status: Some(vec![StatusItem::Messages, StatusItem::Unseen]),
                    ..ListReturn::default()
                },
                extended: true,
            }),
        ),
        (
            "a LIST (SPECIAL-USE REMOTE) \"\" * RETURN (SUBSCRIBED)",
            B::List(List {
                select: ListSelect {
                    special_use: true,
                    remote: true,
                    ..ListSelect::default()
                },
                reference: vec![],
                patterns: vec![b"*".to_vec()],
                returns: ListReturn {
                    subscribed: true,
                    ..ListReturn::default()
                },
                extended: true,
            }),
        ),
        (
            "a LIST () \"\" % RETURN ()",
            B::List(List {
                reference: vec![],
                patterns: vec![b"%".to_vec()],
                extended: true,
                ..List::default()
            }),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}

#[test]
fn search_commands() {
    use SearchKey as K;
    let d = |day, month, year| Date { year, month, day };
    let cases: Vec<(&str, CommandBody)> = vec![
        ("a SEARCH ALL", search(false, None, None, vec![K::All])),
        (
            "a UID SEARCH 1:* UNSEEN",
            search(true, None, None, vec![K::Seq(set("1:*")), K::Unseen]),
        ),
        (
            "a SEARCH CHARSET UTF-8 SUBJECT {5}\r\ncafé",
            search(
                false,
                None,
                Some("UTF-8"),
                vec![K::Subject("café".as_bytes().to_vec())],
            ),
        ),
        (
            "a SEARCH RETURN (MIN MAX COUNT) FLAGGED",
            search(
                false,
                Some(vec![
                    SearchReturn::Min,
                    SearchReturn::Max,
                    SearchReturn::Count,
                ]),
                None,
                vec![K::Flagged],
            ),
        ),
        (
            "a SEARCH RETURN () ALL",
            search(false, Some(vec![SearchReturn::All]), None, vec![K::All]),
        ),
        (
            "a UID SEARCH RETURN (SAVE) CHARSET US-ASCII DELETED",
            search(
                true,
                Some(vec![SearchReturn::Save]),
                Some("US-ASCII"),
                vec![K::Deleted],
            ),
        ),
        (
            "a SEARCH $",
            search(false, None, None, vec![K::Seq(SequenceSet::Saved)]),
        ),
        (
            "a SEARCH UID $",
            search(false, None, None, vec![K::Uid(SequenceSet::Saved)]),
        ),
        (
            "a SEARCH OR FROM alice NOT (TO bob CC \"c d\")",
            search(
                false,
                None,
                None,
                vec![K::Or(
                    Box::new(K::From(b"alice".to_vec())),
                    Box::new(K::Not(Box::new(K::And(vec![
                        K::To(b"bob".to_vec()),
                        K::Cc(b"c d".to_vec()),
                    ])))),
                )],
            ),
        ),
        (
            "a SEARCH ANSWERED DELETED DRAFT FLAGGED NEW OLD RECENT SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED",
            search(
                false,
                None,
                None,
                vec![
                    K::Answered,
                    K::Deleted,
                    K::Draft,
                    K::Flagged,
                    K::New,
                    K::Old,
                    K::Recent,
                    K::Seen,
                    K::Unanswered,
                    K::Undeleted,
                    K::Undraft,
                    K::Unflagged,
                ],
            ),
        ),
        (
            "a SEARCH BCC x BODY y TEXT z HEADER X-Spam yes KEYWORD $Junk UNKEYWORD foo",
            search(
                false,
                None,
                None,
                vec![
                    K::Bcc(b"x".to_vec()),
                    K::Body(b"y".to_vec()),
                    K::Text(b"z".to_vec()),
                    K::Header(b"X-Spam".to_vec(), b"yes".to_vec()),
                    K::Keyword("$Junk".into()),
                    K::Unkeyword("foo".into()),
                ],
            ),
        ),
        (
            "a SEARCH BEFORE 1-Feb-1994 ON \"02-Feb-1994\" SINCE 3-feb-1994 SENTBEFORE 4-Feb-1994 SENTON 5-Feb-1994 SENTSINCE 6-Feb-1994",
            search(
                false,
                None,
                None,
                vec![
                    K::Before(d(1, 2, 1994)),
                    K::On(d(2, 2, 1994)),
                    K::Since(d(3, 2, 1994)),
                    K::SentBefore(d(4, 2, 1994)),
                    K::SentOn(d(5, 2, 1994)),
                    K::SentSince(d(6, 2, 1994)),
                ],
            ),
        ),
        (
            "a SEARCH LARGER 100 SMALLER 5000000000 OLDER 60 YOUNGER 3600 UID 1:5,*",
            search(
                false,
                None,
                None,
                vec![
                    K::Larger(100),
                    K::Smaller(5_000_000_000),
                    K::Older(60),
                    K::Younger(3600),
                    K::Uid(set("1:5,*")),
                ],
            ),
        ),
        (
            "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338 MODSEQ 5",
            search(
                false,
                None,
                None,
                vec![K::ModSeq(620_162_338), K::ModSeq(5)],
            ),
        ),
        ("a SEARCH ALL ", search(false, None, None, vec![K::All])),
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}

#[test]
fn fetch_commands() {
    use FetchAttr as A;
    let fetch = |uid, s: &str, attrs: Vec<FetchAttr>, changed_since| {
        CommandBody::Fetch(Fetch {
            uid,
            set: set(s),
            attrs,
            changed_since,
        })
    };
    let cases: Vec<(&str, CommandBody)> = vec![
        ("a FETCH 1 FLAGS", fetch(false, "1", vec![A::Flags], None)),
        (
            "a FETCH 1:* ALL",
            fetch(
                false,
                "1:*",
                vec![A::Flags, A::InternalDate, A::Rfc822Size, A::Envelope],
                None,
            ),
        ),
        (
            "a FETCH 1 FAST",
            fetch(
                false,
                "1",
                vec![A::Flags, A::InternalDate, A::Rfc822Size],
                None,
            ),
        ),
        (
            "a FETCH 1 full",
            fetch(
                false,
                "1",
                vec![
                    A::Flags,
                    A::InternalDate,
                    A::Rfc822Size,
                    A::Envelope,
                    A::Body,
                ],
                None,
            ),
        ),
        (
            "a UID FETCH 1:* (FLAGS)",
            fetch(true, "1:*", vec![A::Uid, A::Flags], None),
        ),
        (
            "a UID FETCH 5 (UID RFC822.SIZE BODYSTRUCTURE BODY ENVELOPE INTERNALDATE MODSEQ RFC822 RFC822.HEADER RFC822.TEXT)",
            fetch(
                true,
                "5",
                vec![
                    A::Uid,
                    A::Rfc822Size,
                    A::BodyStructure,
                    A::Body,
                    A::Envelope,
                    A::InternalDate,
                    A::ModSeq,
                    A::Rfc822,
                    A::Rfc822Header,
                    A::Rfc822Text,
                ],
                None,
            ),
        ),
        (
            "a FETCH 2 BODY[]",
            fetch(
                false,
                "2",
                vec![body_sec(sec(&[], None), None, false)],
                None,
            ),
        ),
        (
            "a FETCH 2 (BODY.PEEK[1.2.3]<0.1024> body[TEXT] BODY[1.MIME] BODY.PEEK[2.HEADER])",
            fetch(
                false,
                "2",
                vec![
                    body_sec(sec(&[1, 2, 3], None), Some((0, 1024)), true),
                    body_sec(sec(&[], Some(SectionPart::Text)), None, false),
                    body_sec(sec(&[1], Some(SectionPart::Mime)), None, false),
                    body_sec(sec(&[2], Some(SectionPart::Header)), None, true),
                ],
                None,
            ),
        ),
        (
            "a FETCH 1 (BODY.PEEK[HEADER.FIELDS (From To \"Subject\")] BODY[1.HEADER.FIELDS.NOT (X-Spam)])",
            fetch(
                false,
                "1",
                vec![
                    body_sec(
                        sec(
                            &[],
                            Some(SectionPart::HeaderFields(vec![
                                "From".into(),
                                "To".into(),
                                "Subject".into(),
                            ])),
                        ),
                        None,
                        true,
                    ),
                    body_sec(
                        sec(
                            &[1],
                            Some(SectionPart::HeaderFieldsNot(vec!["X-Spam".into()])),
                        ),
                        None,
                        false,
                    ),
                ],
                None,
            ),
        ),
        (
            "a FETCH 1 (BINARY[1.2] BINARY.PEEK[]<0.10> BINARY.SIZE[3])",
            fetch(
                false,
                "1",
                vec![
                    A::Binary {
                        part: vec![1, 2],
                        partial: None,
                        peek: false,
                    },
                    A::Binary {
                        part: vec![],
                        partial: Some((0, 10)),
                        peek: true,
                    },
                    A::BinarySize(vec![3]),
                ],
                None,
            ),
        ),
        (
            "a FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
            fetch(false, "1:*", vec![A::Flags, A::ModSeq], Some(12345)),
        ),
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}

#[test]
fn store_copy_move() {
    use CommandBody as B;
    let store = |uid, mode, silent, flags, unchanged_since| {
        B::Store(Store {
            uid,
            set: SequenceSet::Ranges(vec![(Num(1), Star)]),
            mode,
            silent,
            flags,
            unchanged_since,
        })
    };
    let cases: Vec<(&str, CommandBody)> = vec![
        (
            "a STORE 1:* FLAGS (\\Seen)",
            store(false, StoreMode::Replace, false, vec![Flag::Seen], None),
        ),
        (
            "a STORE 1:* +FLAGS.SILENT (\\Deleted $X)",
            store(
                false,
                StoreMode::Add,
                true,
                vec![Flag::Deleted, Flag::Keyword("$X".into())],
                None,
            ),
        ),
        (
            "a UID STORE 1:* -FLAGS \\Seen \\Flagged",
            store(
                true,
                StoreMode::Remove,
                false,
                vec![Flag::Seen, Flag::Flagged],
                None,
            ),
        ),
        (
            "a STORE 1:* (UNCHANGEDSINCE 12) +FLAGS ()",
            store(false, StoreMode::Add, false, vec![], Some(12)),
        ),
        (
            "a COPY 1:* Trash",
            B::Copy(CopyMove {
                uid: false,
                set: set("1:*"),
                mailbox: mb("Trash"),
            }),
        ),
        (
            "a UID COPY 3 \"A B\"",
            B::Copy(CopyMove {
                uid: true,
                set: set("3"),
                mailbox: mb("A B"),
            }),
        ),
        (
            "a MOVE 2,4 Junk",
            B::Move(CopyMove {
                uid: false,
                set: set("2,4"),
                mailbox: mb("Junk"),
            }),
        ),
        (
            "a UID MOVE $ Junk",
            B::Move(CopyMove {
                uid: true,
                set: SequenceSet::Saved,
                mailbox: mb("Junk"),
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

#[test]
fn section_wire_form() {
    let cases = [
        (sec(&[], None), ""),
        (sec(&[1, 2], None), "1.2"),
        (sec(&[1], Some(SectionPart::Mime)), "1.MIME"),
        (sec(&[], Some(SectionPart::Text)), "TEXT"),
        (sec(&[3], Some(SectionPart::Header)), "3.HEADER"),
        // Dovecot upper-cases the echoed field names; we do the same.
        (
            sec(
                &[],
                Some(SectionPart::HeaderFields(vec![
                    "Subject".into(),
                    "to".into(),
                ])),
            ),
            "HEADER.FIELDS (SUBJECT TO)",
        ),
        (
            sec(&[2], Some(SectionPart::HeaderFieldsNot(vec!["x y".into()]))),
            "2.HEADER.FIELDS.NOT (\"X Y\")",
        ),
    ];
    for (s, want) in cases {
        assert_eq!(s.to_wire(), want);
    }
}
