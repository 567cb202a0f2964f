//! Golden tests for response encoding.

use super::*;
use crate::proto::command::StatusItem;
use crate::proto::command::{Section, SectionPart};
use crate::proto::datetime::DateTime;
use crate::proto::flag::Flag;

fn enc(r: Response) -> String {
    String::from_utf8(r.to_bytes(EncodeOptions::default())).unwrap()
}

fn enc_utf8(r: Response) -> String {
    String::from_utf8(r.to_bytes(EncodeOptions { utf8: true })).unwrap()
}

fn tagged(status: Status, code: Option<Code>, text: &str) -> Response {
    Response::tagged("a1", status, code, text)
}

#[test]
fn status_responses() {
    let cases: Vec<(Response, &str)> = vec![
        (
            tagged(Status::Ok, None, "NOOP completed"),
            "a1 OK NOOP completed\r\n",
        ),
        (tagged(Status::Bad, None, ""), "a1 BAD done\r\n"),
        (
            tagged(Status::No, Some(Code::TryCreate), "no such mailbox"),
            "a1 NO [TRYCREATE] no such mailbox\r\n",
        ),
        (
            tagged(Status::Ok, Some(Code::ReadWrite), "SELECT completed"),
            "a1 OK [READ-WRITE] SELECT completed\r\n",
        ),
        (
            tagged(Status::Ok, Some(Code::ReadOnly), "x"),
            "a1 OK [READ-ONLY] x\r\n",
        ),
        (
            tagged(
                Status::Ok,
                Some(Code::AppendUid {
                    validity: 38505,
                    uid: 3955,
                }),
                "APPEND completed",
            ),
            "a1 OK [APPENDUID 38505 3955] APPEND completed\r\n",
        ),
        (
            tagged(
                Status::Ok,
                Some(Code::CopyUid {
                    validity: 38505,
                    source: "304,319:320".into(),
                    dest: "3956:3958".into(),
                }),
                "Done",
            ),
            "a1 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n",
        ),
        (
            tagged(Status::No, Some(Code::OverQuota), "quota"),
            "a1 NO [OVERQUOTA] quota\r\n",
        ),
        (
            tagged(Status::No, Some(Code::AuthenticationFailed), "bad"),
            "a1 NO [AUTHENTICATIONFAILED] bad\r\n",
        ),
        (
            tagged(Status::No, Some(Code::AlreadyExists), "x"),
            "a1 NO [ALREADYEXISTS] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::NonExistent), "x"),
            "a1 NO [NONEXISTENT] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::Cannot), "x"),
            "a1 NO [CANNOT] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::Limit), "x"),
            "a1 NO [LIMIT] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::InUse), "x"),
            "a1 NO [INUSE] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::ServerBug), "x"),
            "a1 NO [SERVERBUG] x\r\n",
        ),
        (
            tagged(Status::Bad, Some(Code::ClientBug), "x"),
            "a1 BAD [CLIENTBUG] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::TooBig), "x"),
            "a1 NO [TOOBIG] x\r\n",
        ),
        (
            tagged(Status::No, Some(Code::Unavailable), "x"),
            "a1 NO [UNAVAILABLE] x\r\n",
        ),
        (
            tagged(Status::Ok, Some(Code::Modified("7,9".into())), "x"),
            "a1 OK [MODIFIED 7,9] x\r\n",
        ),
        (
            tagged(
                Status::No,
                Some(Code::BadCharset(vec!["UTF-8".into(), "US-ASCII".into()])),
                "x",
            ),
            "a1 NO [BADCHARSET (UTF-8 US-ASCII)] x\r\n",
        ),
        (
            tagged(Status::Ok, None, "line\r\nbreak"),
            "a1 OK line  break\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::Capability(vec!["IMAP4rev1".into(), "IDLE".into()])),
                text: "ready".into(),
            },
            "* OK [CAPABILITY IMAP4rev1 IDLE] ready\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::PermanentFlags(vec![
                    Flag::Seen,
                    Flag::Deleted,
                    Flag::MayCreate,
                ])),
                text: "Limited".into(),
            },
            "* OK [PERMANENTFLAGS (\\Seen \\Deleted \\*)] Limited\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::UidValidity(3857529045)),
                text: "UIDs valid".into(),
            },
            "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::UidNext(4392)),
                text: "x".into(),
            },
            "* OK [UIDNEXT 4392] x\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::Unseen(12)),
                text: "x".into(),
            },
            "* OK [UNSEEN 12] x\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::HighestModSeq(715194045007)),
                text: "x".into(),
            },
            "* OK [HIGHESTMODSEQ 715194045007] x\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::NoModSeq),
                text: "x".into(),
            },
            "* OK [NOMODSEQ] x\r\n",
        ),
        (
            Response::Condition {
                status: Status::Ok,
                code: Some(Code::Alert),
                text: "x".into(),
            },
            "* OK [ALERT] x\r\n",
        ),
        (
            Response::Condition {
                status: Status::Bye,
                code: None,
                text: "logging out".into(),
            },
            "* BYE logging out\r\n",
        ),
        (
            Response::Condition {
                status: Status::PreAuth,
                code: None,
                text: "hi".into(),
            },
            "* PREAUTH hi\r\n",
        ),
        (Response::Continue("Ready".into()), "+ Ready\r\n"),
        (Response::ContinueData(vec![]), "+ \r\n"),
        (Response::ContinueData(b"hi".to_vec()), "+ aGk=\r\n"),
    ];
    for (r, want) in cases {
        assert_eq!(enc(r), want);
    }
}

fn entry(attrs: &[&str], path: &str) -> ListEntry {
    ListEntry {
        attributes: attrs.iter().map(|s| s.to_string()).collect(),
        path: path.into(),
        child_info_subscribed: false,
    }
}

#[test]
fn data_responses() {
    let cases: Vec<(Data, &str)> = vec![
        (
            Data::Capability(vec!["IMAP4rev1".into(), "LITERAL+".into()]),
            "* CAPABILITY IMAP4rev1 LITERAL+\r\n",
        ),
        (Data::Exists(23), "* 23 EXISTS\r\n"),
        (Data::Recent(0), "* 0 RECENT\r\n"),
        (Data::Expunge(4), "* 4 EXPUNGE\r\n"),
        (
            Data::Flags(vec![Flag::Answered, Flag::Keyword("$Junk".into())]),
            "* FLAGS (\\Answered $Junk)\r\n",
        ),
        (
            Data::List(entry(&["\\HasNoChildren"], "INBOX")),
            "* LIST (\\HasNoChildren) \"/\" INBOX\r\n",
        ),
        (
            Data::List(entry(&[], "Sent Items")),
            "* LIST () \"/\" \"Sent Items\"\r\n",
        ),
        (
            Data::List(entry(&["\\Drafts"], "Entwürfe")),
            "* LIST (\\Drafts) \"/\" Entw&APw-rfe\r\n",
        ),
        (Data::List(entry(&[], "a&b")), "* LIST () \"/\" a&-b\r\n"),
        (
            Data::List(ListEntry {
                attributes: vec!["\\NonExistent".into()],
                path: "Foo".into(),
                child_info_subscribed: true,
            }),
            "* LIST (\\NonExistent) \"/\" Foo (\"CHILDINFO\" (\"SUBSCRIBED\"))\r\n",
        ),
        (Data::Lsub(entry(&[], "x")), "* LSUB () \"/\" x\r\n"),
        (
            Data::Xlist(entry(&["\\Inbox"], "INBOX")),
            "* XLIST (\\Inbox) \"/\" INBOX\r\n",
        ),
        (
            Data::Status {
                path: "blurdybloop".into(),
                items: vec![(StatusItem::Messages, 231), (StatusItem::UidNext, 44292)],
            },
            "* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n",
        ),
        (
            Data::Search {
                nums: vec![2, 3, 6],
                modseq: None,
            },
            "* SEARCH 2 3 6\r\n",
        ),
        (
            Data::Search {
                nums: vec![],
                modseq: None,
            },
            "* SEARCH\r\n",
        ),
        (
            Data::Search {
                nums: vec![2],
                modseq: Some(917162500),
            },
            "* SEARCH 2 (MODSEQ 917162500)\r\n",
        ),
        (
            Data::Esearch(Esearch {
                tag: Some("A282".into()),
                uid: false,
                min: Some(2),
                count: Some(3),
                ..Esearch::default()
            }),
            "* ESEARCH (TAG \"A282\") MIN 2 COUNT 3\r\n",
        ),
        (
            Data::Esearch(Esearch {
                tag: Some("A".into()),
                uid: true,
                all: Some("1:3,5".into()),
                ..Esearch::default()
            }),
            "* ESEARCH (TAG \"A\") UID ALL 1:3,5\r\n",
        ),
        (
            Data::Esearch(Esearch {
                tag: Some("A".into()),
                count: Some(0),
                all: Some(String::new()),
                ..Esearch::default()
            }),
            "* ESEARCH (TAG \"A\") COUNT 0\r\n",
        ),
        (
            Data::Enabled(vec!["CONDSTORE".into()]),
            "* ENABLED CONDSTORE\r\n",
        ),
        (Data::Enabled(vec![]), "* ENABLED\r\n"),
        (Data::Id(None), "* ID NIL\r\n"),
        (
            Data::Id(Some(vec![
                ("name".into(), Some("Eider".into())),
                ("os".into(), None),
            ])),
            "* ID (\"name\" \"Eider\" \"os\" NIL)\r\n",
        ),
        (
            Data::Namespace {
                personal_prefix: String::new(),
            },
            "* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n",
        ),
        (
            Data::Quota {
                root: String::new(),
                resources: vec![("STORAGE".into(), 10, 512)],
            },
            "* QUOTA \"\" (STORAGE 10 512)\r\n",
        ),
        (
            Data::QuotaRoot {
                path: "INBOX".into(),
                roots: vec![String::new()],
            },
            "* QUOTAROOT INBOX \"\"\r\n",
        ),
    ];
    for (d, want) in cases {
        assert_eq!(enc(Response::Data(d)), want);
    }
    assert_eq!(
        enc_utf8(Response::Data(Data::List(entry(&[], "Entwürfe")))),
        "* LIST () \"/\" \"Entwürfe\"\r\n"
    );
}

#[test]
fn fetch_response_streamed_section() {
    let opts = EncodeOptions::default();
    let mut out = Vec::new();
    let mut w = FetchWriter::begin(&mut out, 12, opts);
    w.item(&mut out, &FetchItem::Uid(4827313));
    w.item(&mut out, &FetchItem::Flags(&[Flag::Seen]));
    w.item(
        &mut out,
        &FetchItem::InternalDate(DateTime {
            unix: 837_596_665,
            tz_minutes: -420,
        }),
    );
    w.item(&mut out, &FetchItem::Rfc822Size(4286));
    w.item(&mut out, &FetchItem::ModSeq(624140003));
    let name = SectionName::Body {
        section: Section {
            part: vec![1, 2],
            text: None,
        },
        origin: Some(0),
    };
    w.section_prefix(&mut out, &name, 5, false);
    out.extend_from_slice(b"hello"); // the caller streams the bytes
    let hdr = SectionName::Body {
        section: Section {
            part: vec![],
            text: Some(SectionPart::HeaderFields(vec!["FROM".into(), "TO".into()])),
        },
        origin: None,
    };
    w.item(
        &mut out,
        &FetchItem::Section {
            name: hdr,
            data: Some(b"From: a\r\n\r\n"),
        },
    );
    w.item(
        &mut out,
        &FetchItem::Section {
            name: SectionName::Rfc822Text,
            data: None,
        },
    );
    w.item(
        &mut out,
        &FetchItem::BinarySize {
            part: vec![1],
            size: 77,
        },
    );
    let bin = SectionName::Binary {
        part: vec![2],
        origin: Some(4),
    };
    w.item(
        &mut out,
        &FetchItem::Section {
            name: bin,
            data: Some(b"a\0"),
        },
    );
    w.section_prefix(&mut out, &SectionName::Rfc822, 2, true);
    out.extend_from_slice(b"\0x");
    w.end(&mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "* 12 FETCH (UID 4827313 FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" \
         RFC822.SIZE 4286 MODSEQ (624140003) BODY[1.2]<0> {5}\r\nhello \
         BODY[HEADER.FIELDS (FROM TO)] {11}\r\nFrom: a\r\n\r\n RFC822.TEXT NIL BINARY.SIZE[1] 77 BINARY[2]<4> ~{2}\r\na\0 RFC822 ~{2}\r\n\0x)\r\n"
    );
}
