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

/// Allowed differences, by category: (category, data item classes, fixture path suffixes).
/// Classes: `S` = BODY/BODYSTRUCTURE, `E` = ENVELOPE, `X` = body sections, `Z` = RFC822.SIZE.
/// Each category is explained in docs/imap.md ("Differential testing against Dovecot"); every
/// (category, fixture) pair must still match some difference, so the list cannot rot.
const EXCEPTIONS: &[(&str, &str, &[&str])] = &[
    // Dovecot ends a message/rfc822 (or message/global) body after the CRLF that RFC 2046
    // §5.1.1 gives to the following boundary delimiter: size +2, lines +1.
    (
        "delimiter-crlf",
        "S",
        &[
            "dsn/testdata/dsn_with_multipart_alternative.raw",
            "dsn/testdata/multi_recipient_dsn.raw",
            "dsn/testdata/simple_dsn.raw",
            "dsn/testdata/simple_dsn_with_html.raw",
            "flanker/enclosed-bad-encoding.eml",
            "flanker/enclosed-broken-body.eml",
            "flanker/enclosed-global.eml",
            "flanker/enclosed.eml",
            "flanker/torture-part.eml",
            "flanker/torture.eml",
            "attachment_message_rfc822_inline_image.eml",
            "spamassassin-t-data/nice/mime8",
            "eml/malformed/022.eml",
            "eml/rfc/008.eml",
            "eml/thirdparty/007.eml",
            "eml/thirdparty/015.eml",
        ],
    ),
    // RFC 2231 parameters (`filename*=utf-8''...`): Eider decodes them into the plain
    // parameter name (as an RFC 2047 word when not ASCII); Dovecot passes `filename*` through.
    (
        "rfc2231",
        "S",
        &[
            "eml/james-3901.eml",
            "messageWithNonASCIIFilenameAttachment.eml",
            "attachment-filename-encoding-Latin1.msg",
            "attachment-filename-encoding-UTF8.msg",
            "nodemailer-mailparser/nodemailer.eml",
            "attachment_with_encoded_name.eml",
            "attachment_with_quoted_filename.eml",
            "japanese_attachment_long_name.eml",
            "plain_emails/raw_email8.eml",
        ],
    ),
    // A field or parameter that may occur once occurs twice: Eider uses the first; Dovecot
    // joins address lists, repeats parameters and takes the last of other fields.
    (
        "repeated-field",
        "SE",
        &[
            "mail/inlinemultipart.raw",
            "mail/malformed-multiple-address-header-values.raw",
            "mail/mime-duplicate-param.raw",
            "rspamd/phish_sender.eml",
            "rspamd/phish_sender3.eml",
            "dkim/test-fail-04.msg",
            "dkim/test-pass-08.msg",
            "spamassassin-t-data/spam/008",
            "dmarc/noneko.eml",
            "dmarc/quarko.eml",
            "dmarc/rejectko.eml",
            "cjk/big5-base64.1",
            "raw_email_with_binary_encoded.eml",
            "raw_email_with_multipart_mixed_quoted_boundary.eml",
            "eml/malformed/019.eml",
        ],
    ),
    // A missing, empty or unparsable Content-Type: Eider applies RFC 2045 §5.2 (text/plain;
    // charset=us-ascii) or reads the type leniently; Dovecot answers `"" ""`.
    (
        "invalid-content-type",
        "S",
        &[
            "mail/mime-bad-content-type.raw",
            "mail/mime-blank-media-name.raw",
            "spam/broken-ctype.eml",
            "oneAttachmentWithEmptyContentType.eml",
            "messages/startrek.eml",
            "spam/badctype1",
            "mimetools-testmsgs/multi-digest.msg",
            "flanker/torture.eml",
            "spamassassin-t-data/nice/mime8",
        ],
    ),
    // Parameter values that break RFC 2045 §5.1 (unquoted spaces, `=` or other tspecials):
    // Eider reads up to the next `;`, Dovecot stops at the first bad character (for a boundary
    // that means Dovecot splits the body at a truncated boundary).
    (
        "lenient-params",
        "S",
        &[
            "mail/mime-unquoted-tspecials-param.raw",
            "attachment_with_unquoted_name.eml",
            "eml/rfc/001.eml",
            "raw_email_bad_time.eml",
            "spam/utf16.eml",
            "raw_email_with_binary_encoded.eml",
        ],
    ),
    // Invalid Content-Transfer-Encoding / Content-Disposition values: Eider passes the value
    // through (lower-cased), Dovecot answers "7bit" or an empty disposition.
    (
        "invalid-field-value",
        "S",
        &[
            "content_transfer_encoding_qp_with_space.eml",
            "content_transfer_encoding_text-html.eml",
            "content_transfer_encoding_with_semi_colon.eml",
            "eml/thirdparty/004.eml",
            "spamassassin-t-data/spam/003",
            "missing_content_disposition.eml",
            "multiple_invalid_content_dispositions.eml",
            "eml/thirdparty/010.eml",
        ],
    ),
    // Address fields that are not RFC 5322 address lists: both servers guess differently
    // (Eider keeps the words as the address, Dovecot inserts MISSING_ placeholders).
    (
        "invalid-address",
        "SE",
        &[
            "rspamd/currency.eml",
            "rspamd/priority.eml",
            "rspamd/url10.eml",
            "error_emails/missing_body.eml",
            "error_emails/weird_to_header.eml",
            "plain_emails/mix_caps_content_type.eml",
            "plain_emails/raw_email_multiple_from.eml",
            "raw_email_with_at_display_name.eml",
            "rfc2822/example11.eml",
            "rfc2822/example13.eml",
            "nice/unicode1",
            "nice/unicode2",
            "eml/rfc/009.eml",
        ],
    ),
    // `From\r\n : x` (a field name folded before its colon): Eider unfolds first (RFC 5322
    // §2.2.3) and sees a From field; Dovecot does not, so HEADER.FIELDS (FROM) differs.
    (
        "folded-field-name",
        "X",
        &["rspamd/phish_sender2.eml", "rspamd/phish_sender4.eml"],
    ),
    // Bare CR bytes: Eider stores and serves the message as received; Dovecot drops them.
    ("bare-cr", "SXZ", &["rspamd/numeric_urls.eml"]),
    // Broken multipart structure (missing or over-long boundaries, missing close-delimiter,
    // headers without a separator line): the two parsers recover differently.
    (
        "malformed-mime",
        "SX",
        &[
            "mail/epilogue-sample.raw",
            "mail/qp-utf8-header-no-break.raw",
            "samples/multipart-binary.mail",
            "eml/alternative.eml",
            "mimetools-testmsgs/double-semicolon.msg",
            "testmsgs/ending-boundaries.msg",
            "testmsgs/very-long-boundary.msg",
            "testmsgs/very-very-long-boundary.msg",
            "rspamd/badboundary.eml",
            "rspamd/fws_fn.eml",
            "mime_emails/raw_email4.eml",
            "raw_email_with_illegal_boundary.eml",
            "eml/malformed/004.eml",
            "eml/malformed/007.eml",
            "eml/malformed/016.eml",
            "eml/malformed/017.eml",
        ],
    ),
];

/// The class letter of a data item (see [`EXCEPTIONS`]).
fn class(item: &str) -> char {
    match item {
        "BODY" | "BODYSTRUCTURE" => 'S',
        "ENVELOPE" => 'E',
        "RFC822.SIZE" => 'Z',
        _ => 'X',
    }
}

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
fn same_meaning(a: &V, b: &V) -> Option<&'static str> {
    let (V::Str(x), V::Str(y)) = (a, b) else {
        return None;
    };
    let squash = |s: &[u8]| -> Vec<u8> {
        s.split(|c| c.is_ascii_whitespace())
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(&b' ')
    };
    if squash(x) == squash(y) {
        // Header text: RFC 5322 §2.2.3 unfolding removes only the CRLF; Dovecot also collapses
        // the folding whitespace, and keeps or drops trailing blanks differently. Same words.
        return Some("folding-whitespace");
    }
    let decode = |s: &[u8]| eider_mime::decode_header_value(s, None);
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
                refused.push(format!(
                    "{name}: eider {:?} dovecot {:?}",
                    ours[i], theirs[i]
                ));
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
            let (x, y) = (
                canon(a.get(k).unwrap_or(&nil)),
                canon(b.get(k).unwrap_or(&nil)),
            );
            let mut leaves = Vec::new();
            leaf_diffs("", &x, &y, &mut leaves);
            for (path, p, q) in leaves {
                match same_meaning(&p, &q) {
                    Some(cat) => *same.entry(cat).or_default() += 1,
                    None => diffs.push((
                        name.clone(),
                        k.clone(),
                        format!("{path}: eider {p} / dovecot {q}"),
                    )),
                }
            }
        }
    }
    let mut used: BTreeSet<(&str, &str)> = BTreeSet::new();
    let mut unexplained = Vec::new();
    let mut by_item: BTreeMap<&str, usize> = BTreeMap::new();
    for (name, item, d) in &diffs {
        *by_item.entry(item).or_default() += 1;
        let mut explained = false;
        for (cat, classes, fixtures) in EXCEPTIONS {
            if !classes.contains(class(item)) {
                continue;
            }
            for f in *fixtures {
                if name.ends_with(f) {
                    used.insert((cat, f));
                    explained = true;
                }
            }
        }
        if !explained {
            unexplained.push(format!("{name} {item}{d}"));
        }
    }
    println!(
        "{} fixtures, {compared} compared, {items} items; same meaning in another form: {same:?}; \
         {} differences ({by_item:?}), {} unexplained, the rest excepted",
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
        .flat_map(|(cat, _, fs)| fs.iter().map(move |f| (*cat, *f)))
        .filter(|k| !used.contains(k))
        .collect();
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences",
        unexplained.len()
    );
    assert!(
        stale.is_empty(),
        "exceptions that no longer apply: {stale:?}"
    );
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
