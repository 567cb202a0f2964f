//! Golden ENVELOPE / BODY / BODYSTRUCTURE tests from hand-built model values (RFC 3501 §7.4.2).

use super::*;
use eider_common::model::EmbeddedMessage;

fn p(name: &str, value: &str) -> Param {
    Param {
        name: name.into(),
        value: value.into(),
    }
}

fn addr(name: Option<&str>, mailbox: Option<&str>, host: Option<&str>) -> EnvelopeAddress {
    EnvelopeAddress {
        name: name.map(|s| s.as_bytes().to_vec()),
        adl: None,
        mailbox: mailbox.map(|s| s.as_bytes().to_vec()),
        host: host.map(|s| s.as_bytes().to_vec()),
    }
}

fn text_part(subtype: &str, size: u64, lines: u64) -> Part {
    Part {
        body_start: 100,
        body_end: 100 + size,
        media_type: "text".into(),
        media_subtype: subtype.into(),
        params: vec![p("charset", "us-ascii")],
        encoding: "7bit".into(),
        body_lines: lines,
        ..Part::default()
    }
}

fn render(f: impl Fn(&mut Vec<u8>)) -> String {
    let mut out = Vec::new();
    f(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn rfc3501_envelope() -> Envelope {
    Envelope {
        date: Some(b"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)".to_vec()),
        subject: Some(b"IMAP4rev1 WG mtg summary and minutes".to_vec()),
        from: vec![addr(
            Some("Terry Gray"),
            Some("gray"),
            Some("cac.washington.edu"),
        )],
        to: vec![addr(None, Some("imap"), Some("cac.washington.edu"))],
        cc: vec![
            addr(None, Some("minutes"), Some("CNRI.Reston.VA.US")),
            addr(Some("John Klensin"), Some("KLENSIN"), Some("MIT.EDU")),
        ],
        message_id: Some(b"<B27397-0100000@cac.washington.edu>".to_vec()),
        ..Envelope::default()
    }
}

#[test]
fn envelope_golden() {
    let tg = "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\"))";
    let want = format!(
        "(\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" \"IMAP4rev1 WG mtg summary and minutes\" {tg} {tg} {tg} \
         ((NIL NIL \"imap\" \"cac.washington.edu\")) ((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")\
         (\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL \"<B27397-0100000@cac.washington.edu>\")"
    );
    assert_eq!(render(|o| envelope(o, &rfc3501_envelope(), false)), want);

    let empty = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    assert_eq!(render(|o| envelope(o, &Envelope::default(), false)), empty);

    // Groups: start has a NIL host, end is all NIL (RFC 3501 §7.4.2).
    let grouped = Envelope {
        to: vec![
            addr(None, Some("undisclosed-recipients"), None),
            addr(None, None, None),
        ],
        sender: vec![addr(None, Some("s"), Some("h"))],
        subject: Some("Grüße \"x\"".as_bytes().to_vec()),
        ..Envelope::default()
    };
    assert_eq!(
        render(|o| envelope(o, &grouped, false)),
        "(NIL {11}\r\nGrüße \"x\" NIL ((NIL NIL \"s\" \"h\")) NIL \
         ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)"
    );
    assert_eq!(
        render(|o| envelope(o, &grouped, true)),
        "(NIL \"Grüße \\\"x\\\"\" NIL ((NIL NIL \"s\" \"h\")) NIL \
         ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)"
    );
}

#[test]
fn single_text_part() {
    let part = text_part("plain", 3028, 92);
    assert_eq!(
        render(|o| body(o, &part, false, false)),
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3028 92)"
    );
    assert_eq!(
        render(|o| body(o, &part, true, false)),
        "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 3028 92 NIL NIL NIL NIL)"
    );
}

fn mixed() -> Part {
    let mut text = text_part("plain", 10, 1);
    text.params = vec![p("charset", "utf-8")];
    text.encoding = "quoted-printable".into();
    let pdf = Part {
        body_start: 0,
        body_end: 400,
        media_type: "application".into(),
        media_subtype: "pdf".into(),
        params: vec![p("name", "a.pdf")],
        content_id: Some("<id@x>".into()),
        description: Some("desc".into()),
        encoding: "base64".into(),
        disposition: Some("attachment".into()),
        disposition_params: vec![p("filename", "a.pdf")],
        language: vec!["en".into(), "de".into()],
        location: Some("http://x/a.pdf".into()),
        md5: Some("md5sum".into()),
        ..Part::default()
    };
    Part {
        media_type: "multipart".into(),
        media_subtype: "mixed".into(),
        params: vec![p("boundary", "b1")],
        children: vec![text, pdf],
        ..Part::default()
    }
}

#[test]
fn multipart_golden() {
    let part = mixed();
    assert_eq!(
        render(|o| body(o, &part, true, false)),
        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 10 1 NIL NIL NIL NIL)\
         (\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<id@x>\" \"desc\" \"base64\" 400 \"md5sum\" \
         (\"attachment\" (\"filename\" \"a.pdf\")) (\"en\" \"de\") \"http://x/a.pdf\") \
         \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)"
    );
    assert_eq!(
        render(|o| body(o, &part, false, false)),
        "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"quoted-printable\" 10 1)\
         (\"application\" \"pdf\" (\"name\" \"a.pdf\") \"<id@x>\" \"desc\" \"base64\" 400) \"mixed\")"
    );
    let mut alt = mixed();
    alt.media_subtype = "alternative".into();
    alt.language = vec!["fr".into()];
    alt.disposition = Some("inline".into());
    alt.children.truncate(1);
    assert!(
        render(|o| body(o, &alt, true, false))
            .ends_with(" \"alternative\" (\"boundary\" \"b1\") (\"inline\" NIL) \"fr\" NIL)")
    );
}

#[test]
fn message_rfc822_golden() {
    let inner = text_part("plain", 5, 1);
    let part = Part {
        body_start: 0,
        body_end: 500,
        media_type: "message".into(),
        media_subtype: "rfc822".into(),
        encoding: "7bit".into(),
        body_lines: 12,
        message: Some(Box::new(EmbeddedMessage {
            envelope: Envelope::default(),
            root: inner,
        })),
        ..Part::default()
    };
    let env = "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
    assert_eq!(
        render(|o| body(o, &part, true, false)),
        format!(
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 {env} \
             (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL) 12 NIL NIL NIL NIL)"
        )
    );
    assert_eq!(
        render(|o| body(o, &part, false, false)),
        format!(
            "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 500 {env} \
             (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1) 12)"
        )
    );
}

#[test]
fn degenerate_parts() {
    // A multipart without children still yields one body (a placeholder).
    let empty = Part {
        media_type: "multipart".into(),
        media_subtype: "mixed".into(),
        ..Part::default()
    };
    assert_eq!(
        render(|o| body(o, &empty, false, false)),
        "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) \"mixed\")"
    );
    // Non-ASCII parameter values go as literals unless UTF-8 is enabled; missing encoding is 7bit.
    let mut img = Part {
        media_type: "image".into(),
        media_subtype: "png".into(),
        params: vec![p("name", "ü.png")],
        ..Part::default()
    };
    assert_eq!(
        render(|o| body(o, &img, false, false)),
        "(\"image\" \"png\" (\"name\" {6}\r\nü.png) NIL NIL \"7bit\" 0)"
    );
    assert_eq!(
        render(|o| body(o, &img, false, true)),
        "(\"image\" \"png\" (\"name\" \"ü.png\") NIL NIL \"7bit\" 0)"
    );
    // message/rfc822 whose inner message was not parsed is rendered as a basic part.
    img.media_type = "message".into();
    img.media_subtype = "rfc822".into();
    img.params.clear();
    assert_eq!(
        render(|o| body(o, &img, false, false)),
        "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0)"
    );
}
