//! Parser table for COPY and UID COPY.

use super::*;

#[test]
fn copy_commands() {
    use CommandBody as B;
    let cases: Vec<(&str, CommandBody)> = vec![
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
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}
