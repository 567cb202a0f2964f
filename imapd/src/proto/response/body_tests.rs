//! Golden ENVELOPE / BODY / BODYSTRUCTURE tests from hand-built model values (RFC 3501 §7.4.2).

use super::*;
use eider_model::EmbeddedMessage;

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
        "(NIL \"=?utf-8?B?R3LDvMOfZSAieCI=?=\" NIL ((NIL NIL \"s\" \"h\")) NIL \
         ((NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL NIL)"
    );
    // An EAI address cannot be downgraded: its local part goes as a literal.
    let eai = Envelope {
        from: vec![addr(Some("José"), Some("josé"), Some("x.es"))],
        ..Envelope::default()
    };
    assert_eq!(
        render(|o| envelope(o, &eai, false)),
        "(NIL NIL ((\"=?utf-8?B?Sm9zw6k=?=\" NIL {5}\r\njosé \"x.es\")) ((\"=?utf-8?B?Sm9zw6k=?=\" NIL {5}\r\njosé \"x.es\")) \
         ((\"=?utf-8?B?Sm9zw6k=?=\" NIL {5}\r\njosé \"x.es\")) NIL NIL NIL NIL NIL)"
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
fn message_global_is_encapsulated_too() {
    let part = Part {
        media_type: "message".into(),
        media_subtype: "global".into(),
        encoding: "8bit".into(),
        body_lines: 3,
        message: Some(Box::new(EmbeddedMessage {
            envelope: Envelope::default(),
            root: text_part("plain", 1, 1),
        })),
        ..Part::default()
    };
    let got = render(|o| body(o, &part, false, false));
    assert!(
        got.starts_with("(\"message\" \"global\" NIL NIL NIL \"8bit\" 0 (NIL NIL"),
        "{got}"
    );
    assert!(got.ends_with("\"7bit\" 1 1) 3)"), "{got}");
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
    // Non-ASCII parameter values are downgraded unless UTF-8 is enabled; missing encoding is 7bit.
    let mut img = Part {
        media_type: "image".into(),
        media_subtype: "png".into(),
        params: vec![p("name", "ü.png")],
        ..Part::default()
    };
    assert_eq!(
        render(|o| body(o, &img, false, false)),
        "(\"image\" \"png\" (\"name\" \"=?utf-8?B?w7wucG5n?=\") NIL NIL \"7bit\" 0)"
    );
    assert_eq!(
        render(|o| body(o, &img, false, true)),
        "(\"image\" \"png\" (\"name\" \"ü.png\") NIL NIL \"7bit\" 0)"
    );
    // message/rfc822 whose inner message was not parsed keeps the message form, with an empty
    // envelope and body (as Dovecot answers).
    img.media_type = "message".into();
    img.media_subtype = "rfc822".into();
    img.params.clear();
    assert_eq!(
        render(|o| body(o, &img, false, false)),
        "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 0 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
         (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 0)"
    );
}

/// The same message Dovecot 2.3.19 (the reference server) was given, built by hand as the model
/// would hold it: our BODYSTRUCTURE, BODY and ENVELOPE must equal Dovecot's byte for byte.
#[test]
fn matches_dovecot_reference() {
    let a = |name: Option<&str>, mailbox: &str, host: Option<&str>| addr(name, Some(mailbox), host);
    let sized = |t: &str, s: &str, size: u64, lines: u64| Part {
        body_start: 1000,
        body_end: 1000 + size,
        media_type: t.into(),
        media_subtype: s.into(),
        encoding: "7bit".into(),
        body_lines: lines,
        ..Part::default()
    };
    let mut text = sized("text", "plain", 17, 1);
    text.params = vec![p("charset", "utf-8")];
    text.encoding = "quoted-printable".into();
    let mut pdf = sized("application", "pdf", 8, 0);
    pdf.params = vec![p("name", "a b.pdf")];
    pdf.content_id = Some("<cid1@x>".into());
    pdf.description = Some("the pdf".into());
    pdf.encoding = "base64".into();
    pdf.md5 = Some("Q2hlY2sgSW50ZWdyaXR5IQ==".into());
    pdf.disposition = Some("attachment".into());
    pdf.disposition_params = vec![p("filename", "a b.pdf")];
    pdf.language = vec!["en".into(), "de".into()];
    pdf.location = Some("http://x/a.pdf".into());
    let inner_from = vec![a(None, "inner", Some("example.org"))];
    let mut inner_text = sized("text", "plain", 10, 0);
    inner_text.params = vec![p("charset", "us-ascii")];
    let mut rfc822 = sized("message", "rfc822", 53, 3);
    rfc822.message = Some(Box::new(EmbeddedMessage {
        envelope: Envelope {
            subject: Some(b"inner".to_vec()),
            from: inner_from,
            ..Envelope::default()
        },
        root: inner_text,
    }));
    let root = Part {
        media_type: "multipart".into(),
        media_subtype: "mixed".into(),
        params: vec![p("boundary", "b1")],
        children: vec![text, pdf, rfc822],
        ..Part::default()
    };
    let joerg = a(Some("=?utf-8?q?J=C3=B6rg?="), "joerg", Some("example.org"));
    let env = Envelope {
        date: Some(b"Mon, 2 Jan 2023 10:00:00 +0100".to_vec()),
        subject: Some(b"=?utf-8?b?R3LDvMOfZQ==?= test".to_vec()),
        from: vec![joerg],
        to: vec![
            a(None, "a", Some("example.org")),
            addr(None, Some("Group"), None),
            a(None, "b", Some("example.org")),
            addr(None, None, None),
        ],
        message_id: Some(b"<x1@example.org>".to_vec()),
        ..Envelope::default()
    };
    let dovecot_bodystructure = r#"(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 1 NIL NIL NIL NIL)("application" "pdf" ("name" "a b.pdf") "<cid1@x>" "the pdf" "base64" 8 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "a b.pdf")) ("en" "de") "http://x/a.pdf")("message" "rfc822" NIL NIL NIL "7bit" 53 (NIL "inner" ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0 NIL NIL NIL NIL) 3 NIL NIL NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL)"#;
    let dovecot_body = r#"(("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 17 1)("application" "pdf" ("name" "a b.pdf") "<cid1@x>" "the pdf" "base64" 8)("message" "rfc822" NIL NIL NIL "7bit" 53 (NIL "inner" ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) ((NIL NIL "inner" "example.org")) NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 0) 3) "mixed")"#;
    let dovecot_envelope = r#"("Mon, 2 Jan 2023 10:00:00 +0100" "=?utf-8?b?R3LDvMOfZQ==?= test" (("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.org")) (("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.org")) (("=?utf-8?q?J=C3=B6rg?=" NIL "joerg" "example.org")) ((NIL NIL "a" "example.org")(NIL NIL "Group" NIL)(NIL NIL "b" "example.org")(NIL NIL NIL NIL)) NIL NIL NIL "<x1@example.org>")"#;
    assert_eq!(
        render(|o| body(o, &root, true, false)),
        dovecot_bodystructure
    );
    assert_eq!(render(|o| body(o, &root, false, false)), dovecot_body);
    assert_eq!(render(|o| envelope(o, &env, false)), dovecot_envelope);
}

#[test]
fn forms_dovecot_answers_too() {
    // (part, BODY): the shapes checked against Dovecot by tests/structure_vs_dovecot.rs.
    let mut no_charset = text_part("html", 3, 0);
    no_charset.params = vec![p("format", "flowed")];
    let unparsed = Part {
        body_end: 130,
        media_type: "message".into(),
        media_subtype: "rfc822".into(),
        encoding: "base64".into(),
        body_lines: 3,
        ..Part::default()
    };
    let table: &[(&Part, &str)] = &[
        // RFC 2046 §4.1.2: a text part without charset is US-ASCII, and says so.
        (
            &no_charset,
            "(\"text\" \"html\" (\"format\" \"flowed\" \"charset\" \"us-ascii\") NIL NIL \"7bit\" 3 0)",
        ),
        // A message/rfc822 that was not parsed still has the message form.
        (
            &unparsed,
            "(\"message\" \"rfc822\" NIL NIL NIL \"base64\" 130 (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) \
             (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0) 3)",
        ),
    ];
    for (part, want) in table {
        assert_eq!(render(|o| body(o, part, false, false)), *want);
    }
}
