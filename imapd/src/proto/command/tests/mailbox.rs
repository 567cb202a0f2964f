//! Parser table for the mailbox commands (SELECT, EXAMINE, CREATE, DELETE, RENAME,
//! SUBSCRIBE, STATUS, LIST, ...).

use super::*;

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
