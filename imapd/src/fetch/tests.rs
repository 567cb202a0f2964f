//! Sections of a hand-built message: a multipart with a text part, a large base64 attachment
//! stored as its own blob, and an encapsulated multipart message.

use super::*;
use base64::Engine;
use eider_model::types::{MailboxId, ModSeq, ThreadId, Uid};
use eider_model::{EmbeddedMessage, MessageSummary, Segment, Transfer};
use eider_store::content::{base64_encoded_len, put_blob, read_message};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};

/// Appends text and hands out offsets, to lay out parts by hand.
#[derive(Default)]
struct Msg {
    bytes: Vec<u8>,
}

impl Msg {
    fn push(&mut self, s: &[u8]) -> u64 {
        self.bytes.extend_from_slice(s);
        self.bytes.len() as u64
    }
    fn at(&self) -> u64 {
        self.bytes.len() as u64
    }
}

fn leaf(t: &str, s: &str, header_start: u64, body_start: u64, body_end: u64) -> Part {
    Part {
        header_start,
        body_start,
        body_end,
        media_type: t.into(),
        media_subtype: s.into(),
        ..Default::default()
    }
}

const PREFIX: &[u8] = b"Return-Path: <r@x>\r\n";
const ATTACHMENT_LEN: usize = 3 * 1024 * 1024;

struct Built {
    bytes: Vec<u8>,
    root: Part,
    /// Where the attachment's base64 text lies in `bytes`.
    att: (u64, u64),
}

fn build(att_b64: &[u8]) -> Built {
    let mut m = Msg::default();
    m.push(PREFIX);
    m.push(b"From: a@x\r\nSubject: outer\r\n test\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n");
    let root_body = m.at();
    m.push(b"preamble\r\n--b1\r\n");
    let h1 = m.at();
    let b1 = m.push(b"Content-Type: text/plain\r\n\r\n");
    let e1 = m.push(b"hello");
    m.push(b"\r\n--b1\r\n");
    let h2 = m.at();
    let b2 = m.push(
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    let e2 = m.push(att_b64);
    m.push(b"\r\n--b1\r\n");
    let h3 = m.at();
    let b3 = m.push(b"Content-Type: message/rfc822\r\n\r\n");
    let ib = m.push(
        b"From: inner@x\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n",
    );
    m.push(b"--b2\r\n");
    let ih1 = m.at();
    let ib1 = m.push(b"Content-Type: text/plain\r\n\r\n");
    let ie1 = m.push(b"inner text");
    m.push(b"\r\n--b2\r\n");
    let ih2 = m.at();
    let ib2 = m.push(b"Content-Type: text/html\r\n\r\n");
    let ie2 = m.push(b"<p>inner</p>");
    let ie = m.push(b"\r\n--b2--\r\n");
    m.push(b"\r\n--b1--\r\n");
    let end = m.at();
    let inner_root = Part {
        children: vec![
            leaf("text", "plain", ih1, ib1, ie1),
            leaf("text", "html", ih2, ib2, ie2),
        ],
        ..leaf("multipart", "alternative", b3, ib, ie)
    };
    let rfc822 = Part {
        message: Some(Box::new(EmbeddedMessage {
            envelope: Default::default(),
            root: inner_root,
        })),
        ..leaf("message", "rfc822", h3, b3, ie)
    };
    let root = Part {
        children: vec![
            leaf("text", "plain", h1, b1, e1),
            leaf("application", "octet-stream", h2, b2, e2),
            rfc822,
        ],
        ..leaf("multipart", "mixed", 0, root_body, end)
    };
    Built {
        bytes: m.bytes,
        root,
        att: (b2, e2),
    }
}

fn attachment() -> Vec<u8> {
    // Incompressible, so chunk reads are counted at full size.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..ATTACHMENT_LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn b64_lines(data: &[u8]) -> Vec<u8> {
    let s = base64::engine::general_purpose::STANDARD.encode(data);
    s.as_bytes()
        .chunks(76)
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..])
}

fn section(part: &[u32], text: Option<SectionPart>) -> Section {
    Section {
        part: part.to_vec(),
        text,
    }
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn plan_table() {
    let b = build(b"QUJD");
    let s = |r: Result<Plan, FetchError>| match r {
        Ok(Plan::Range { start, len }) => {
            String::from_utf8_lossy(&b.bytes[start as usize..(start + len) as usize]).into_owned()
        }
        Ok(Plan::Fields {
            start,
            len,
            names,
            exclude,
            partial,
        }) => {
            let block = &b.bytes[start as usize..(start + len) as usize];
            let out = filter_fields(block, &names, exclude);
            let (s, l) = clamp(0, out.len() as u64, partial);
            String::from_utf8_lossy(&out[s as usize..(s + l) as usize]).into_owned()
        }
        Err(e) => format!("error: {e}"),
    };
    let p = |start, len| Some(Partial { start, len });
    use SectionPart::*;
    let table: Vec<(Section, Option<Partial>, &str)> = vec![
        (section(&[1], None), None, "hello"),
        (section(&[1], None), p(1, 3), "ell"),
        (section(&[1], None), p(3, 100), "lo"),
        (section(&[1], None), p(9, 1), ""),
        (section(&[2], None), None, "QUJD"),
        (
            section(&[1], Some(Mime)),
            None,
            "Content-Type: text/plain\r\n\r\n",
        ),
        (section(&[3, 1], None), None, "inner text"),
        (section(&[3, 2], None), None, "<p>inner</p>"),
        (
            section(&[3, 2], Some(Mime)),
            None,
            "Content-Type: text/html\r\n\r\n",
        ),
        (
            section(&[3], Some(Header)),
            None,
            "From: inner@x\r\nSubject: inner\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n",
        ),
        (
            section(&[3], Some(HeaderFields(names(&["subject"])))),
            None,
            "Subject: inner\r\n\r\n",
        ),
        (
            section(&[], Some(HeaderFields(names(&["SUBJECT", "from"])))),
            None,
            "From: a@x\r\nSubject: outer\r\n test\r\n\r\n",
        ),
        (
            section(&[], Some(HeaderFieldsNot(names(&["content-type", "from"])))),
            p(0, 12),
            "Return-Path:",
        ),
        (section(&[3], Some(Text)), p(0, 6), "--b2\r\n"),
        (section(&[], Some(Text)), p(0, 8), "preamble"),
        (
            section(&[], Some(Header)),
            p(0, 30),
            "Return-Path: <r@x>\r\nFrom: a@x\r",
        ),
        (section(&[], None), p(0, 6), "Return"),
        (section(&[4], None), None, "error: no such body part"),
        (section(&[0], None), None, "error: no such body part"),
        (section(&[1, 1], None), None, "error: no such body part"),
        (section(&[3, 3], None), None, "error: no such body part"),
        (
            section(&[1], Some(Header)),
            None,
            "error: body part is not a message",
        ),
        (section(&[], Some(Mime)), None, "error: no such body part"),
    ];
    for (i, (sec, partial, want)) in table.into_iter().enumerate() {
        let got = s(plan(&b.root, b.bytes.len() as u64, &sec, partial));
        assert_eq!(got, want, "case {i}: {sec:?} {partial:?}");
    }
}

#[test]
fn single_part_message_has_part_one() {
    let root = leaf("text", "plain", 0, 10, 15);
    let got = plan(&root, 15, &section(&[1], None), None).unwrap();
    assert_eq!(got, Plan::Range { start: 10, len: 5 });
    assert!(plan(&root, 15, &section(&[2], None), None).is_err());
}

#[tokio::test]
async fn reads_only_needed_chunks_of_a_large_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let att = attachment();
    let b64 = b64_lines(&att);
    let built = build(&b64);
    let (a0, a1) = built.att;
    let encoded_len = base64_encoded_len(att.len() as u64, 76, true, false);
    assert_eq!(encoded_len, a1 - a0);
    // Skeleton blob = every byte but the prefix and the attachment body.
    let p = PREFIX.len();
    let mut skeleton = built.bytes[p..a0 as usize].to_vec();
    skeleton.extend_from_slice(&built.bytes[a1 as usize..]);
    let skel = put_blob(&store, &skeleton).await.unwrap().id;
    let att_id = put_blob(&store, &att).await.unwrap().id;
    let head = a0 - p as u64;
    let segments = vec![
        Segment::Inline(PREFIX.to_vec()),
        Segment::Blob {
            blob: skel,
            offset: 0,
            len: head,
            transfer: Transfer::Identity,
            encoded_len: head,
        },
        Segment::Blob {
            blob: att_id,
            offset: 0,
            len: att.len() as u64,
            transfer: Transfer::Base64 {
                line_len: 76,
                crlf: true,
                final_eol: false,
            },
            encoded_len,
        },
        Segment::Blob {
            blob: skel,
            offset: head,
            len: skeleton.len() as u64 - head,
            transfer: Transfer::Identity,
            encoded_len: skeleton.len() as u64 - head,
        },
    ];
    let msg = StoredMessage {
        mailbox: MailboxId(1),
        summary: MessageSummary {
            uid: Uid(1),
            modseq: ModSeq(1),
            flags: Default::default(),
            internal_date: 0,
            internal_tz_minutes: 0,
            size: built.bytes.len() as u64,
            thread: ThreadId(1),
        },
        segments,
        sha256: [0; 32],
        meta: eider_model::MessageMeta {
            root: built.root.clone(),
            ..Default::default()
        },
    };
    assert_eq!(
        read_message(&store, &msg.segments).await.unwrap(),
        built.bytes
    );

    let before = store.stats().content_bytes_read();
    let part = section(&[2], None);
    let got = read_section(
        &store,
        &msg,
        &part,
        Some(Partial {
            start: 0,
            len: 1000,
        }),
    )
    .await
    .unwrap();
    let read = store.stats().content_bytes_read() - before;
    assert_eq!(got, &b64[..1000]);
    assert!(read < 300 * 1024, "BODY[2]<0.1000> read {read} bytes");
    println!("BODY[2]<0.1000> of a {ATTACHMENT_LEN}-byte attachment read {read} content bytes");

    // A slice from the middle, and the parts after the attachment, are exact too.
    let before = store.stats().content_bytes_read();
    let mid = read_section(
        &store,
        &msg,
        &part,
        Some(Partial {
            start: 2_000_001,
            len: 777,
        }),
    )
    .await
    .unwrap();
    assert_eq!(mid, &b64[2_000_001..2_000_778]);
    assert!(store.stats().content_bytes_read() - before < 300 * 1024);
    let header = Section {
        part: vec![3],
        text: Some(SectionPart::HeaderFields(names(&["from"]))),
    };
    let got = read_section(&store, &msg, &header, None).await.unwrap();
    assert_eq!(got, b"From: inner@x\r\n\r\n");
    let whole = read_section(&store, &msg, &Section::default(), None)
        .await
        .unwrap();
    assert_eq!(whole, built.bytes);

    // Streaming the attachment section in 100 KB windows gives the same bytes.
    let plan = plan_message(&msg, &part, None).unwrap();
    let mut reader = section_reader(&store, &msg, &plan, 100_000).unwrap();
    let mut streamed = Vec::new();
    while let Some(w) = reader.next_window().await.unwrap() {
        assert!(w.len() <= 100_000);
        streamed.extend_from_slice(&w);
    }
    assert_eq!(streamed, b64);
    let fields = plan_message(&msg, &header, None).unwrap();
    assert!(section_reader(&store, &msg, &fields, 100_000).is_none());
}

#[test]
fn nested_ranges_stay_inside_their_container() {
    // A message/rfc822 part whose (malformed) inner tree claims bytes past the part's end.
    let inner = leaf("text", "plain", 10, 40, 50);
    let part = Part {
        message: Some(Box::new(EmbeddedMessage {
            envelope: Default::default(),
            root: inner,
        })),
        ..leaf("message", "rfc822", 0, 10, 30)
    };
    let root = Part {
        children: vec![part],
        ..leaf("multipart", "mixed", 0, 0, 60)
    };
    let table = [
        (section(&[1], Some(SectionPart::Header)), (10, 20)),
        (section(&[1], Some(SectionPart::Text)), (30, 0)),
        (section(&[1, 1], Some(SectionPart::Mime)), (10, 20)),
        (section(&[1, 1], None), (30, 0)),
        (section(&[1], None), (10, 20)),
    ];
    for (sec, (start, len)) in table {
        assert_eq!(
            plan(&root, 60, &sec, None).unwrap(),
            Plan::Range { start, len },
            "{sec:?}"
        );
    }
}
