//! Parser table for LIST (RFC 5258), LSUB and XLIST.

use super::*;

#[test]
fn list_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
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
