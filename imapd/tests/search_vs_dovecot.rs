//! Differential check of the SEARCH engine against Dovecot, the reference server.
//!
//! The corpus messages (see `support::corpus_files`) are stored in both, with the same internal
//! dates, and a set of queries over headers, bodies, dates and sizes is run on each; the test
//! prints, per query, how many messages the two answers disagree on, with examples. It fails if
//! more than 2% of (query, message) verdicts differ.
//!
//! Needs Dovecot (see `support::dovecot_addr`; user `testuser98`) and the corpus; skips clearly
//! without them (fails under `EIDER_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use eider_imapd::mailbox::SelectedView;
use eider_imapd::mailbox::recent::RecentRegistry;
use eider_imapd::proto::command::{CommandBody, parse};
use eider_imapd::proto::datetime::DateTime;
use eider_imapd::search::{compile, search};
use eider_mime::Limits;
use eider_model::types::Uid;
use eider_model::{NewMessage, NewUser, UserLimits};
use eider_store::MailStore;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::ingest::prepare_message;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use support::{corpus, corpus_files, dovecot, normalise};

mod support;

const QUERIES: &[&str] = &[
    "ALL",
    "SUBJECT the",
    "SUBJECT \"re:\"",
    "SUBJECT test",
    "FROM com",
    "FROM \"example\"",
    "TO linux",
    "CC \"@\"",
    "BCC a",
    "HEADER Message-ID \"\"",
    "HEADER X-Mailer \"\"",
    "HEADER Content-Type multipart",
    "HEADER received smtp",
    "BODY linux",
    "BODY \"the\"",
    "BODY \"mime\"",
    "TEXT mips",
    "TEXT \"content-type\"",
    "SENTSINCE 1-Jan-2000",
    "SENTBEFORE 1-Jan-1998",
    "SENTON 7-Jul-1994",
    "SINCE 15-Mar-2024",
    "ON 10-Feb-2024",
    "BEFORE 5-Jan-2024",
    "LARGER 5000",
    "SMALLER 1000",
    "NOT SUBJECT the",
    "OR FROM edu BODY kernel",
    "CHARSET UTF-8 SUBJECT \"ü\"",
    "CHARSET UTF-8 BODY \"é\"",
];

#[tokio::test]
async fn search_matches_dovecot() {
    let Some(corpus) = corpus() else { return };
    let Some(mut imap) = dovecot("testuser98") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let user = store
        .create_user(NewUser {
            username: "u".into(),
            password_hash: "x".into(),
            quota: 0,
            limits: UserLimits::default(),
            spam_level: 50,
        })
        .await
        .unwrap();
    let mb = store.find_mailbox(user.id, "INBOX").await.unwrap().unwrap();

    // Dovecot UID → our UID.
    let mut uid_map: HashMap<u32, u32> = HashMap::new();
    let mut names: HashMap<u32, String> = HashMap::new();
    let mut prepared = Vec::new();
    for (i, path) in corpus_files(&corpus).iter().enumerate() {
        let raw = normalise(&std::fs::read(path).unwrap());
        if raw.is_empty() || raw.len() > 2_000_000 || raw.contains(&0) {
            continue;
        }
        let Ok(p) = prepare_message(&store, &raw[..], Limits::default()).await else {
            continue;
        };
        // 2024-01-01T00:00Z plus 6 h per message, zones alternating +02:00 / -05:00.
        let date = DateTime {
            unix: 1_704_067_200 + i as i64 * 6 * 3600,
            tz_minutes: if i % 2 == 0 { 120 } else { -300 },
        };
        prepared.push((path.clone(), raw, p, date));
    }
    let wire_dates: Vec<String> = prepared.iter().map(|(_, _, _, d)| d.to_wire()).collect();
    let each: Vec<(&str, &[u8])> = prepared
        .iter()
        .zip(&wire_dates)
        .map(|((_, raw, _, _), d)| (d.as_str(), &raw[..]))
        .collect();
    let theirs_uids = imap.append_each(support::MAILBOX, "()", &each);
    for ((path, _, p, date), theirs) in prepared.into_iter().zip(theirs_uids) {
        let path = &path;
        let Some(theirs) = theirs else {
            continue;
        };
        let ours = store
            .append(
                mb.id,
                NewMessage {
                    flags: Default::default(),
                    internal_date: date.unix,
                    internal_tz_minutes: date.tz_minutes,
                    segments: p.segments,
                    size: p.size,
                    sha256: p.sha256,
                    meta: p.meta,
                },
            )
            .await
            .unwrap();
        uid_map.insert(theirs, ours.uid.0);
        names.insert(
            ours.uid.0,
            path.strip_prefix(&corpus)
                .unwrap_or(path)
                .display()
                .to_string(),
        );
    }
    let mailbox = store.get_mailbox(mb.id).await.unwrap().unwrap();
    let uids = store
        .list_messages(mb.id, Uid(1)..=Uid(u32::MAX))
        .await
        .unwrap()
        .iter()
        .map(|s| s.uid)
        .collect();
    let view = SelectedView::open(
        &mailbox,
        uids,
        true,
        Arc::new(RecentRegistry::new()),
        Uid(0),
    );
    let n = uid_map.len();

    let (mut verdicts, mut disagreements) = (0usize, 0usize);
    for q in QUERIES {
        let CommandBody::Search(s) = parse(format!("t UID SEARCH {q}").as_bytes()).unwrap().body
        else {
            panic!("{q}")
        };
        let query = compile(&s.criteria, s.charset.as_deref(), None).unwrap();
        let t = std::time::Instant::now();
        let ours: BTreeSet<u32> = search(&store, &view, &query, 0)
            .await
            .unwrap()
            .numbers(true)
            .into_iter()
            .collect();
        let took = t.elapsed();
        let (untagged, tagged) = imap.cmd(format!("UID SEARCH {q}").as_bytes());
        assert!(
            String::from_utf8_lossy(&tagged).contains(" OK "),
            "{q}: {}",
            String::from_utf8_lossy(&tagged)
        );
        let theirs: BTreeSet<u32> = untagged
            .iter()
            .filter_map(|(t, _)| {
                String::from_utf8_lossy(t)
                    .strip_prefix("* SEARCH")
                    .map(str::to_owned)
            })
            .flat_map(|l| {
                l.split_ascii_whitespace()
                    .filter_map(|w| w.parse::<u32>().ok())
                    .collect::<Vec<_>>()
            })
            .filter_map(|u| uid_map.get(&u).copied())
            .collect();
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        verdicts += n;
        disagreements += only_ours.len() + only_theirs.len();
        println!(
            "{q:40} ours {:5} dovecot {:5} only-ours {:4} only-dovecot {:4} ({took:?})",
            ours.len(),
            theirs.len(),
            only_ours.len(),
            only_theirs.len()
        );
        for u in only_ours.iter().take(3) {
            println!("    only ours:    {}", names[u]);
        }
        for u in only_theirs.iter().take(3) {
            println!("    only dovecot: {}", names[u]);
        }
    }
    imap.cmd(format!("DELETE {}", support::MAILBOX).as_bytes());
    println!("{n} messages, {verdicts} verdicts, {disagreements} disagreements");
    assert!(n > 100);
    assert!(
        disagreements * 50 <= verdicts,
        "more than 2% of verdicts differ"
    );
}
