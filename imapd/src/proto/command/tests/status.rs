//! Parser table for STATUS.

use super::*;

#[test]
fn status_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![(
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
    )];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}
