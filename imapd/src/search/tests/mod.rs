//! SEARCH tests: keys parsed by the protocol core, compiled, and evaluated over hand-made
//! messages in memory (every key), then through the store-backed driver.

#![allow(clippy::unwrap_used)]

use super::eval::{Facts, eval, needs};
use super::*;
use crate::proto::command::{CommandBody, Search, parse};
use eider_model::types::{ModSeq, ThreadId};
use eider_model::{Flags, HeaderField, MessageMeta, MessageSummary, SystemFlags};

/// Parses `SEARCH <args>` with the protocol core.
fn parsed(args: &str) -> Search {
    match parse(format!("t SEARCH {args}").as_bytes()).map(|c| c.body) {
        Ok(CommandBody::Search(s)) => s,
        other => panic!("SEARCH {args}: {other:?}"),
    }
}

fn query(args: &str, saved: Option<&[Uid]>) -> Query {
    let s = parsed(args);
    compile(&s.criteria, s.charset.as_deref(), saved).unwrap()
}

struct Msg {
    summary: MessageSummary,
    meta: MessageMeta,
    text: String,
    recent: bool,
}

fn msg(
    uid: u32,
    bits: u8,
    size: u64,
    date: i64,
    tz: i16,
    headers: &[(&str, &str)],
    text: &str,
) -> Msg {
    Msg {
        summary: MessageSummary {
            uid: Uid(uid),
            modseq: ModSeq(u64::from(uid) * 10),
            flags: Flags {
                system: SystemFlags(bits),
                keywords: Default::default(),
            },
            internal_date: date,
            internal_tz_minutes: tz,
            size,
            thread: ThreadId(1),
        },
        meta: MessageMeta {
            headers: headers
                .iter()
                .map(|(n, v)| HeaderField {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            ..Default::default()
        },
        text: text.to_lowercase(),
        recent: false,
    }
}

/// 2025-11-29T23:30:00Z
const T: i64 = 1_764_459_000;
const NOW: i64 = T + 3600;

fn mailbox() -> Vec<Msg> {
    use SystemFlags as F;
    let mut m = vec![
        msg(
            1,
            F::SEEN,
            1000,
            T,
            0,
            &[
                ("from", "Alice Example <alice@example.org> (Accounting)"),
                ("to", "bob@example.net (Robert Tables)"),
                ("subject", "Quarterly Report"),
                ("date", "Sat, 29 Nov 2025 15:00:00 -0800"),
            ],
            "Hello World, the numbers are in.",
        ),
        msg(
            2,
            F::FLAGGED | F::DELETED,
            5000,
            T,
            60, // same instant, but already 30 Nov in its zone
            &[
                ("from", "Bob <bob@example.net>"),
                ("cc", "carol@example.com"),
                ("bcc", "secret@example.com"),
                ("subject", "Grüße aus MÜNCHEN"),
                ("date", "Sun, 30 Nov 2025 00:10:00 +0100"),
            ],
            "ÜBER die Straße",
        ),
        msg(
            5,
            F::ANSWERED | F::DRAFT,
            20,
            T - 2 * 86_400,
            -300,
            &[("subject", "re: quarterly"), ("x-spam", "yes")],
            "",
        ),
        msg(7, 0, 300, T - 100_000, 0, &[], "Report body text"),
    ];
    m[1].summary.flags.keywords.insert("$Forwarded".into());
    m[3].recent = true;
    m
}

/// Evaluates like the driver does: summary first, then the record, then the text.
fn run_mem(q: &Query, msgs: &[Msg]) -> Vec<u32> {
    let last_uid = msgs.last().map(|m| m.summary.uid).unwrap_or_default();
    let mut out = Vec::new();
    for (seq, m) in (1u32..).zip(msgs) {
        let mut f = Facts {
            seq,
            largest_seq: msgs.len() as u32,
            largest_uid: last_uid,
            summary: &m.summary,
            recent: m.recent,
            meta: None,
            text: None,
            now: NOW,
        };
        let v = eval(q, &f).or_else(|| {
            f.meta = Some(&m.meta);
            eval(q, &f)
        });
        let v = v.or_else(|| {
            f.text = Some(&m.text);
            eval(q, &f)
        });
        if v.unwrap() {
            out.push(seq);
        }
    }
    out
}

#[test]
fn every_key() {
    let msgs = mailbox();
    let table: &[(&str, &[u32])] = &[
        ("ALL", &[1, 2, 3, 4]),
        ("ANSWERED", &[3]),
        ("UNANSWERED", &[1, 2, 4]),
        ("DELETED", &[2]),
        ("UNDELETED", &[1, 3, 4]),
        ("DRAFT", &[3]),
        ("UNDRAFT", &[1, 2, 4]),
        ("FLAGGED", &[2]),
        ("UNFLAGGED", &[1, 3, 4]),
        ("SEEN", &[1]),
        ("UNSEEN", &[2, 3, 4]),
        ("RECENT", &[4]),
        ("NEW", &[4]),
        ("OLD", &[1, 2, 3]),
        ("KEYWORD $forwarded", &[2]),
        ("UNKEYWORD $Forwarded", &[1, 3, 4]),
        ("LARGER 300", &[1, 2]),
        ("SMALLER 300", &[3]),
        ("FROM alice", &[1]),
        ("FROM accounting", &[]),
        ("TEXT accounting", &[1]),
        ("FROM EXAMPLE.NET", &[2]),
        ("TO bob", &[1]),
        ("TO tables", &[1]),
        ("CC carol", &[2]),
        ("BCC secret", &[2]),
        ("SUBJECT quarterly", &[1, 3]),
        // Unicode case folding on both sides.
        ("CHARSET UTF-8 SUBJECT \"grüsse\"", &[]),
        ("CHARSET UTF-8 SUBJECT \"grüße aus münchen\"", &[2]),
        ("HEADER X-Spam yes", &[3]),
        ("HEADER X-SPAM \"\"", &[3]),
        ("HEADER subject \"\"", &[1, 2, 3]),
        ("BODY world", &[1]),
        ("CHARSET UTF-8 BODY \"über\"", &[2]),
        ("BODY report", &[4]),
        ("TEXT report", &[1, 4]),
        ("TEXT x-spam", &[3]),
        // Internal date day in its own zone: 1 and 2 are the same instant.
        ("ON 29-Nov-2025", &[1]),
        ("ON 30-Nov-2025", &[2]),
        ("SINCE 29-Nov-2025", &[1, 2]),
        ("BEFORE 29-Nov-2025", &[3, 4]),
        ("ON 27-Nov-2025", &[3]),
        // Sent date as written in the Date header; no Date header: the epoch (as Dovecot).
        ("SENTBEFORE 1-Jan-1971", &[3, 4]),
        ("SENTSINCE 1-Jan-1971", &[1, 2]),
        ("FROM \"example (c\"", &[]),
        ("SENTON 29-Nov-2025", &[1]),
        ("SENTON 30-Nov-2025", &[2]),
        ("SENTBEFORE 29-Nov-2025", &[3, 4]),
        ("SENTSINCE 30-Nov-2025", &[2]),
        ("2:3", &[2, 3]),
        ("3:*", &[3, 4]),
        ("*", &[4]),
        ("UID 2:5", &[2, 3]),
        ("UID 6:*", &[4]),
        ("UID 9:*", &[4]),
        ("NOT SEEN", &[2, 3, 4]),
        ("OR SEEN FLAGGED", &[1, 2]),
        ("OR SUBJECT quarterly BODY straße", &[1, 2, 3]),
        ("NOT OR SUBJECT quarterly BODY straße", &[4]),
        ("(SEEN SUBJECT report) UNDELETED", &[1]),
        ("OR (SEEN FROM bob) (DELETED FROM bob)", &[2]),
        ("MODSEQ 20", &[2, 3, 4]),
        ("MODSEQ \"/flags/\\\\seen\" all 50", &[3, 4]),
        ("OLDER 7200", &[3, 4]),
        ("YOUNGER 3600", &[1, 2]),
        ("$", &[2, 4]),
        ("UID $", &[2, 4]),
        ("NOT $", &[1, 3]),
    ];
    let saved = [Uid(2), Uid(7)];
    for (args, want) in table {
        let q = query(args, Some(&saved));
        assert_eq!(run_mem(&q, &msgs), *want, "SEARCH {args}");
    }
}

#[test]
fn staging_and_charsets() {
    // (key, needs record, needs text)
    let table = [
        ("SEEN LARGER 5", false, false),
        ("SUBJECT x", true, false),
        ("SENTON 1-Jan-2020", true, false),
        ("OR SEEN BODY x", true, true),
        ("NOT TEXT x", true, true),
    ];
    for (args, rec, text) in table {
        assert_eq!(needs(&query(args, None)), (rec, text), "{args}");
    }
    let s = parsed("CHARSET KOI8-R SUBJECT x");
    assert_eq!(
        compile(&s.criteria, s.charset.as_deref(), None),
        Err(CompileError::BadCharset("KOI8-R".into()))
    );
    // Nothing saved: `$` is empty.
    assert_eq!(run_mem(&query("$", None), &mailbox()), Vec::<u32>::new());
    assert!(query("OR ALL MODSEQ 5", None).uses_modseq());
    assert!(!query("ALL", None).uses_modseq());
}

mod store;
