//! Parser table for SEARCH.

use super::*;

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
