//! Differential check of FETCH body sections against Dovecot, the reference server.
//!
//! For every corpus message (fixtures, plus a slice of the SpamAssassin set): ingest it into an
//! embedded store with the real splitter, enumerate its part paths, and compare
//! `fetch::read_section` with what Dovecot answers for `BODY.PEEK[section]` (part bodies, MIME
//! headers, HEADER/TEXT of encapsulated messages, HEADER.FIELDS(.NOT), partials).
//!
//! Needs Dovecot (see `support::dovecot_addr`; user `testuser97`) and the corpus; skips clearly
//! without them (fails under `EIDER_REQUIRE_ALL=1`). Each message's sections are asked for in
//! one pipelined batch.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use eider_imapd::fetch::{FetchError, Partial, Section, SectionPart, read_section};
use eider_mime::Limits;
use eider_model::types::{MailboxId, ModSeq, ThreadId, Uid};
use eider_model::{MessageSummary, Part, StoredMessage};
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::ingest::prepare_message;
use support::{MAILBOX, corpus, corpus_files, dovecot, normalise};

mod support;

/// Every section spec worth asking about, with our parsed form.
fn specs(root: &Part) -> Vec<(String, Section, Option<Partial>)> {
    fn sec(part: &[u32], text: Option<SectionPart>) -> Section {
        Section {
            part: part.to_vec(),
            text,
        }
    }
    fn visit(p: &Part, path: Vec<u32>, out: &mut Vec<(Vec<u32>, bool)>) {
        out.push((path.clone(), p.message.is_some()));
        if p.media_type == "multipart" {
            for (i, c) in p.children.iter().enumerate() {
                let mut q = path.clone();
                q.push(i as u32 + 1);
                visit(c, q, out);
            }
        }
        if let Some(m) = &p.message {
            in_message(&m.root, &path, out);
        }
    }
    fn in_message(root: &Part, prefix: &[u32], out: &mut Vec<(Vec<u32>, bool)>) {
        if root.media_type == "multipart" {
            for (i, c) in root.children.iter().enumerate() {
                let mut q = prefix.to_vec();
                q.push(i as u32 + 1);
                visit(c, q, out);
            }
        } else {
            let mut q = prefix.to_vec();
            q.push(1);
            visit(root, q, out);
        }
    }
    let mut paths = Vec::new();
    in_message(root, &[], &mut paths);
    let fields = || vec!["SUBJECT".to_string(), "From".to_string()];
    let mut out = vec![
        (String::new(), sec(&[], None), None),
        ("HEADER".into(), sec(&[], Some(SectionPart::Header)), None),
        ("TEXT".into(), sec(&[], Some(SectionPart::Text)), None),
        (
            "HEADER.FIELDS (SUBJECT From)".into(),
            sec(&[], Some(SectionPart::HeaderFields(fields()))),
            None,
        ),
        (
            "HEADER.FIELDS.NOT (SUBJECT From)".into(),
            sec(&[], Some(SectionPart::HeaderFieldsNot(fields()))),
            None,
        ),
    ];
    for (path, is_msg) in paths.into_iter().take(40) {
        let p = path
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        out.push((p.clone(), sec(&path, None), None));
        out.push((
            p.clone(),
            sec(&path, None),
            Some(Partial { start: 3, len: 20 }),
        ));
        out.push((
            format!("{p}.MIME"),
            sec(&path, Some(SectionPart::Mime)),
            None,
        ));
        if is_msg {
            out.push((
                format!("{p}.HEADER"),
                sec(&path, Some(SectionPart::Header)),
                None,
            ));
            out.push((
                format!("{p}.TEXT"),
                sec(&path, Some(SectionPart::Text)),
                None,
            ));
            out.push((
                format!("{p}.HEADER.FIELDS (SUBJECT From)"),
                sec(&path, Some(SectionPart::HeaderFields(fields()))),
                None,
            ));
        }
    }
    out
}

#[tokio::test]
async fn fetch_sections_match_dovecot() {
    let Some(corpus) = corpus() else { return };
    let Some(mut imap) = dovecot("testuser97") else {
        return;
    };
    let paths = corpus_files(&corpus);

    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let (mut messages, mut compared, mut same, mut crlf_after_close) = (0, 0, 0, 0);
    let mut diffs: Vec<String> = Vec::new();
    let mut prepared_all = Vec::new();
    for path in &paths {
        let raw = normalise(&std::fs::read(path).unwrap());
        if raw.is_empty() || raw.len() > 2_000_000 || raw.contains(&0) {
            continue;
        }
        let Ok(prepared) = prepare_message(&store, &raw[..], Limits::default()).await else {
            continue;
        };
        prepared_all.push((path, raw, prepared));
    }
    let raws: Vec<Vec<u8>> = prepared_all.iter().map(|(_, r, _)| r.clone()).collect();
    let uids = imap.append_all(MAILBOX, "()", "", &raws);
    for ((path, _, prepared), uid) in prepared_all.into_iter().zip(uids) {
        let Some(uid) = uid else {
            continue;
        };
        messages += 1;
        let msg = StoredMessage {
            mailbox: MailboxId(1),
            summary: MessageSummary {
                uid: Uid(uid),
                modseq: ModSeq(1),
                flags: Default::default(),
                internal_date: 0,
                internal_tz_minutes: 0,
                size: prepared.size,
                thread: ThreadId(1),
            },
            segments: prepared.segments,
            sha256: prepared.sha256,
            meta: prepared.meta,
        };
        let all = specs(&msg.meta.root);
        let asks: Vec<(String, Option<Partial>)> =
            all.iter().map(|(s, _, p)| (s.clone(), *p)).collect();
        let answers = imap.sections(uid, &asks);
        for ((spec, section, partial), theirs) in all.into_iter().zip(answers) {
            let ours = match read_section(&store, &msg, &section, partial).await {
                Ok(b) => Some(b),
                Err(FetchError::NoSuchPart | FetchError::NotMessage) => None,
                Err(e) => panic!("{}: {spec}: {e}", path.display()),
            };
            compared += 1;
            // Dovecot answers "" where we have no such part; both mean "nothing there".
            let norm = |v: &Option<Vec<u8>>| v.clone().filter(|b| !b.is_empty());
            if norm(&ours) == norm(&theirs) {
                same += 1;
            } else if let (Some(o), Some(t)) = (&ours, &theirs)
                && t.len() == o.len() + 2
                && t.starts_with(o)
                && t.ends_with(b"\r\n")
            {
                // Dovecot counts the CRLF after a nested close-delimiter into the enclosing
                // part's body; RFC 2046 gives it to the outer delimiter (the splitter's choice).
                crlf_after_close += 1;
            } else {
                let show = |v: &Option<Vec<u8>>| match v {
                    None => "NIL".to_string(),
                    Some(b) => format!(
                        "{} bytes {:?}",
                        b.len(),
                        String::from_utf8_lossy(&b[..b.len().min(60)])
                    ),
                };
                diffs.push(format!(
                    "{} [{spec}]{partial:?}: ours {} / dovecot {}",
                    path.strip_prefix(&corpus).unwrap_or(path).display(),
                    show(&ours),
                    show(&theirs)
                ));
            }
        }
    }
    imap.cmd(format!("DELETE {MAILBOX}").as_bytes());
    println!(
        "{messages} messages, {compared} sections compared, {same} identical, \
         {crlf_after_close} differing only by Dovecot's trailing CRLF after a close-delimiter, \
         {} other differences",
        diffs.len()
    );
    for d in diffs.iter().take(60) {
        println!("  {d}");
    }
    assert!(messages > 100, "too few messages compared");
    assert!(
        (same + crlf_after_close) * 100 >= compared * 99,
        "more than 1% of sections differ from Dovecot"
    );
}
