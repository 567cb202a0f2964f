//! Parser table for SELECT and EXAMINE (CONDSTORE select parameter, RFC 7162 §3.1.8).

use super::*;

#[test]
fn select_commands() {
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
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}
