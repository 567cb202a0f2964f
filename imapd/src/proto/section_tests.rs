use super::*;
use eider_common::model::EmbeddedMessage;

fn part(t: &str, s: &str, h: u64, b: u64, e: u64) -> Part {
    Part {
        header_start: h,
        body_start: b,
        body_end: e,
        media_type: t.into(),
        media_subtype: s.into(),
        ..Part::default()
    }
}

/// multipart/mixed (0..1000, header 0..100)
///   1 text/plain            header 120..150, body 150..300
///   2 message/rfc822        header 320..360, body 360..900
///       embedded multipart/alternative header 360..420, body 420..900
///         2.1 text/plain    header 440..470, body 470..600
///         2.2 text/html     header 620..650, body 650..880
///   3 multipart/related     header 910..940, body 940..990
///       3.1 image/png       header 950..960, body 960..980
fn tree() -> Part {
    let mut alt = part("multipart", "alternative", 360, 420, 900);
    alt.children = vec![
        part("text", "plain", 440, 470, 600),
        part("text", "html", 620, 650, 880),
    ];
    let mut msg = part("message", "rfc822", 320, 360, 900);
    msg.message = Some(Box::new(EmbeddedMessage {
        envelope: Default::default(),
        root: alt,
    }));
    let mut related = part("multipart", "related", 910, 940, 990);
    related.children = vec![part("image", "png", 950, 960, 980)];
    let mut root = part("multipart", "mixed", 0, 100, 1000);
    root.children = vec![part("text", "plain", 120, 150, 300), msg, related];
    root
}

fn sec(part: &[u32], text: Option<SectionPart>) -> Section {
    Section {
        part: part.to_vec(),
        text,
    }
}

#[test]
fn locate_table() {
    use SectionData::{Bytes, Missing};
    use SectionPart::*;
    let root = tree();
    let cases: Vec<(Section, SectionData)> = vec![
        (sec(&[], None), Bytes(0..1000)),
        (sec(&[], Some(Header)), Bytes(0..100)),
        (sec(&[], Some(Text)), Bytes(100..1000)),
        (sec(&[1], None), Bytes(150..300)),
        (sec(&[1], Some(Mime)), Bytes(120..150)),
        (sec(&[1], Some(Header)), Missing),
        (sec(&[1, 1], None), Missing),
        (sec(&[2], None), Bytes(360..900)),
        (sec(&[2], Some(Header)), Bytes(360..420)),
        (sec(&[2], Some(Text)), Bytes(420..900)),
        (sec(&[2], Some(Mime)), Bytes(320..360)),
        (sec(&[2, 1], None), Bytes(470..600)),
        (sec(&[2, 2], Some(Mime)), Bytes(620..650)),
        (sec(&[2, 3], None), Missing),
        (sec(&[3], None), Bytes(940..990)),
        (sec(&[3, 1], None), Bytes(960..980)),
        (sec(&[3, 1, 1], None), Missing),
        (sec(&[4], None), Missing),
        (
            sec(&[2], Some(HeaderFields(vec!["Subject".into()]))),
            SectionData::HeaderFields {
                header: 360..420,
                fields: vec!["Subject".into()],
                not: false,
            },
        ),
        (
            sec(&[], Some(HeaderFieldsNot(vec!["X".into()]))),
            SectionData::HeaderFields {
                header: 0..100,
                fields: vec!["X".into()],
                not: true,
            },
        ),
    ];
    for (s, want) in cases {
        assert_eq!(locate(&root, 1000, &s), want, "{}", s.to_wire());
    }
}

#[test]
fn single_part_message_is_part_one() {
    let root = part("text", "plain", 0, 40, 100);
    assert_eq!(
        locate(&root, 100, &sec(&[1], None)),
        SectionData::Bytes(40..100)
    );
    assert_eq!(
        locate(&root, 100, &sec(&[1], Some(SectionPart::Mime))),
        SectionData::Bytes(0..40)
    );
    assert_eq!(locate(&root, 100, &sec(&[2], None)), SectionData::Missing);
    assert_eq!(
        locate(&root, 100, &sec(&[1, 1], None)),
        SectionData::Missing
    );
    // An encapsulated single-part message: its part 1 is its body.
    let mut outer = part("message", "rfc822", 0, 30, 200);
    outer.message = Some(Box::new(EmbeddedMessage {
        envelope: Default::default(),
        root: part("text", "plain", 30, 70, 200),
    }));
    let mut root = part("multipart", "mixed", 0, 10, 300);
    root.children = vec![outer];
    assert_eq!(
        locate(&root, 300, &sec(&[1, 1], None)),
        SectionData::Bytes(70..200)
    );
}

#[test]
fn header_filtering() {
    let header = b"From: a@b\r\nSubject: hello\r\n  world\r\nTo: c@d\r\nX-Spam : yes\r\n\r\n";
    let cases: &[(&[&str], bool, &[u8])] = &[
        (&["subject"], false, b"Subject: hello\r\n  world\r\n\r\n"),
        (&["FROM", "to"], false, b"From: a@b\r\nTo: c@d\r\n\r\n"),
        (&["x-spam"], false, b"X-Spam : yes\r\n\r\n"),
        (&["nope"], false, b"\r\n"),
        (
            &["subject", "x-spam"],
            true,
            b"From: a@b\r\nTo: c@d\r\n\r\n",
        ),
    ];
    for (fields, not, want) in cases {
        let f: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        assert_eq!(filter_header(header, &f, *not), *want, "{fields:?} {not}");
    }
}

#[test]
fn partials() {
    assert_eq!(partial_range(100, None), 0..100);
    assert_eq!(partial_range(100, Some((10, 20))), 10..30);
    assert_eq!(partial_range(100, Some((90, 20))), 90..100);
    assert_eq!(partial_range(100, Some((200, 5))), 100..100);
}
