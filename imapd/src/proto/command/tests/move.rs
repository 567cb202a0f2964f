//! Parser table for MOVE and UID MOVE (RFC 6851).

use super::*;

#[test]
fn move_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
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
