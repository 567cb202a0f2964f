//! Parser table for CREATE, DELETE, RENAME, SUBSCRIBE and UNSUBSCRIBE.

use super::*;

#[test]
fn mailbox_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
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
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}
