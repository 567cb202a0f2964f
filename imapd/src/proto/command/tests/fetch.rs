//! Parser table for FETCH, and the wire form of its sections.

use super::*;

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
