//! Parser table for STORE and UID STORE.

use super::*;

#[test]
fn store_commands() {
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
    ];
    for (line, want) in cases {
        assert_eq!(parse_line(line), Ok(want), "{line}");
    }
}
