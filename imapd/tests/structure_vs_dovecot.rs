//! Golden BODYSTRUCTURE / ENVELOPE / section answers for the corpus fixtures, checked against
//! Dovecot, the reference server.
//!
//! The same fixture messages are APPENDed (same flags, same date) to `eider-imapd` (in-process,
//! embedded store) and to a private Dovecot; then one `UID FETCH 1:* (...)` asks both for
//! RFC822.SIZE, INTERNALDATE, ENVELOPE, BODYSTRUCTURE, BODY, header-field sections, a part's MIME
//! header and partials. Answers are compared per message and per data item after parsing (a
//! quoted string and a literal with the same bytes are equal; item order inside one FETCH is
//! free, RFC 3501 §7.4.2); nothing else is normalised. Every difference must be listed in
//! [`EXCEPTIONS`] with the reason it is allowed (docs/imap.md, "Differential testing against
//! Dovecot"); an exception that no longer matches anything fails the test too, so the list
//! cannot rot.
//!
//! Needs Dovecot (see `support::dovecot_addr`) and the corpus; skips clearly without them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use support::value::{V, fetch_items};
use support::{Imap, canon, corpus, dovecot_as, fixture_messages};

const DOVECOT_USER: &str = "testuser91";
const MAILBOX: &str = "golden";
const DATE: &str = "\"01-Jan-2024 10:00:00 +0200\"";
const ITEMS: &str = "(RFC822.SIZE INTERNALDATE FLAGS ENVELOPE BODYSTRUCTURE BODY \
    BODY.PEEK[HEADER.FIELDS (SUBJECT FROM CONTENT-TYPE)] BODY.PEEK[1.MIME] BODY.PEEK[]<0.100> \
    BODY.PEEK[TEXT]<7.64> BODY.PEEK[1]<0.50> BODY.PEEK[HEADER.FIELDS.NOT (RECEIVED)]<0.200>)";

/// Allowed differences: (fixture path suffix, data item, why). See docs/imap.md.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

/// Every message's FETCH items, keyed by UID; item names upper-cased.
fn fetch_all(imap: &mut Imap) -> BTreeMap<u32, BTreeMap<String, V>> {
    let (untagged, tagged) = imap.cmd(format!("UID FETCH 1:* {ITEMS}").as_bytes());
    assert!(
        tagged.windows(4).any(|w| w == b" OK "),
        "{}",
        String::from_utf8_lossy(&tagged)
    );
    let mut out = BTreeMap::new();
    for r in &untagged {
        let Some((_, items)) = fetch_items(r) else {
            continue;
        };
        let items: BTreeMap<String, V> = items
            .into_iter()
            .map(|(k, v)| (k.to_ascii_uppercase(), v))
            .collect();
        let uid = items["UID"].atom().unwrap().parse().unwrap();
        out.insert(uid, items);
    }
    out
}

/// Every place where two values differ, as (path, ours, theirs); lists of different lengths
/// count as one difference.
fn leaf_diffs(path: &str, a: &V, b: &V, out: &mut Vec<(String, V, V)>) {
    match (a, b) {
        (V::List(x), V::List(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                leaf_diffs(&format!("{path}.{i}"), p, q, out);
            }
        }
        _ if a == b => {}
        _ => out.push((path.to_owned(), a.clone(), b.clone())),
    }
}

/// The documented category of a difference that is the same meaning in another form, if it is
/// one (docs/imap.md lists them).
fn same_meaning(item: &str, a: &V, b: &V) -> Option<&'static str> {
    let (V::Str(x), V::Str(y)) = (a, b) else {
        return None;
    };
    let squash = |s: &[u8]| -> Vec<u8> {
        s.split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(&b' ')
    };
    if item == "ENVELOPE" && squash(x) == squash(y) {
        // RFC 5322 §2.2.3 unfolding removes only the CRLF; Dovecot also collapses the folding
        // whitespace and keeps trailing blanks. Same words, different spacing.
        return Some("folding-whitespace");
    }
    let decode = |s: &[u8]| eider_common::mime::decode_header_value(s, None);
    if decode(x) == decode(y) {
        // Header text: Dovecot passes the header's bytes through (raw 8-bit, RFC 2047 words as
        // sent); Eider decodes RFC 2231/2047 and sends non-ASCII text as `=?utf-8?B?` words
        // unless UTF8=ACCEPT is on (RFC 3501 §4.3 / RFC 6855 §3). Same text once decoded.
        return Some("header-text-encoding");
    }
    None
}

fn run(eider: &mut Imap, dovecot: &mut Imap, msgs: &[(String, Vec<u8>)]) -> usize {
    let bodies: Vec<Vec<u8>> = msgs.iter().map(|(_, m)| m.clone()).collect();
    let ours = eider.append_all(MAILBOX, "(\\Seen)", DATE, &bodies);
    let theirs = dovecot.append_all(MAILBOX, "(\\Seen)", DATE, &bodies);
    let ours_items = fetch_all(eider);
    let theirs_items = fetch_all(dovecot);

    let (mut compared, mut items) = (0, 0);
    let mut diffs: Vec<(String, String, String)> = Vec::new();
    let mut same: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refused = Vec::new();
    for (i, (name, _)) in msgs.iter().enumerate() {
        let (Some(o), Some(t)) = (ours[i], theirs[i]) else {
            if ours[i].is_some() != theirs[i].is_some() {
                refused.push(format!("{name}: eider {:?} dovecot {:?}", ours[i], theirs[i]));
            }
            continue;
        };
        compared += 1;
        let (a, b) = (&ours_items[&o], &theirs_items[&t]);
        let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        for k in keys {
            if k == "UID" {
                continue;
            }
            items += 1;
            let nil = V::Atom("(missing)".into());
            let canon = |v: &V| match k.as_str() {
                "BODY" | "BODYSTRUCTURE" => canon::body(v),
                "INTERNALDATE" => canon::internaldate(v),
                _ => v.clone(),
            };
            let (x, y) = (canon(a.get(k).unwrap_or(&nil)), canon(b.get(k).unwrap_or(&nil)));
            let mut leaves = Vec::new();
            leaf_diffs("", &x, &y, &mut leaves);
            for (path, p, q) in leaves {
                match same_meaning(k, &p, &q) {
                    Some(cat) => *same.entry(cat).or_default() += 1,
                    None => diffs.push((name.clone(), k.clone(), format!("{path}: eider {p} / dovecot {q}"))),
                }
            }
        }
    }
    let mut used = vec![false; EXCEPTIONS.len()];
    let mut unexplained = Vec::new();
    let mut by_item: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, item, d) in &diffs {
        *by_item.entry(item).or_default() += 1;
        match EXCEPTIONS
            .iter()
            .position(|(f, it, _)| name.ends_with(f) && item == it)
        {
            Some(e) => used[e] = true,
            None => unexplained.push(format!("{name} {item}{d}")),
        }
    }
    println!(
        "{} fixtures, {compared} compared, {items} items; same meaning in another form: {same:?}; \
         {} differences ({by_item:?}), {} unexplained",
        msgs.len(),
        diffs.len(),
        unexplained.len()
    );
    for u in &unexplained {
        println!("  {u}");
    }
    for r in &refused {
        println!("  refused by one server only: {r}");
    }
    let stale: Vec<_> = EXCEPTIONS
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| e.0)
        .collect();
    assert!(unexplained.is_empty(), "{} unexplained differences", unexplained.len());
    assert!(stale.is_empty(), "exceptions that no longer apply: {stale:?}");
    assert!(refused.is_empty(), "messages refused by one server only");
    compared
}

#[tokio::test(flavor = "multi_thread")]
async fn bodystructure_and_envelope_match_dovecot() {
    let Some(corpus) = corpus() else { return };
    let msgs = fixture_messages(&corpus);
    let w = common::World::start().await;
    let addr = w.addr.to_string();
    let compared = tokio::task::spawn_blocking(move || {
        let mut dovecot = dovecot_as(DOVECOT_USER)?;
        dovecot.cmd(format!("DELETE {MAILBOX}").as_bytes());
        dovecot.cmd(format!("CREATE {MAILBOX}").as_bytes());
        dovecot.cmd(format!("SELECT {MAILBOX}").as_bytes());
        let mut eider = Imap::connect(&addr).unwrap();
        eider.cmd(format!("LOGIN {} {}", common::USER, common::PASS).as_bytes());
        eider.cmd(format!("CREATE {MAILBOX}").as_bytes());
        eider.cmd(format!("SELECT {MAILBOX}").as_bytes());
        let n = run(&mut eider, &mut dovecot, &msgs);
        dovecot.cmd(format!("DELETE {MAILBOX}").as_bytes());
        Some(n)
    })
    .await
    .unwrap();
    if let Some(n) = compared {
        assert!(n > 500, "only {n} fixtures compared");
    }
}
