//! Splitter tests: tree and offsets on hand-written messages, byte-exact rebuild, and
//! independence from chunking (every split point for small inputs, random splits by proptest).

use super::*;
use eider_model::Part;
use proptest::prelude::*;

/// Everything the splitter produced, in a chunking-independent form.
#[derive(Debug, PartialEq)]
struct Collected {
    skeleton: Vec<u8>,
    runs: Vec<(Vec<u8>, Transfer, u64)>,
    text: String,
    rebuilt: Vec<u8>,
    meta: ParsedMessage,
}

fn split_with(input: &[u8], cuts: &[usize], limits: Limits) -> Collected {
    let mut s = Splitter::new(limits);
    let mut skeleton = Vec::new();
    let mut runs = Vec::new();
    let mut cur = Vec::new();
    let mut rb = Rebuilder::default();
    let mut f = |o: Output<'_>| {
        match &o {
            Output::Skeleton(b) => skeleton.extend_from_slice(b),
            Output::BodyStart => cur = Vec::new(),
            Output::Decoded(d) => cur.extend_from_slice(d),
            Output::Piece {
                transfer,
                encoded_len,
            }
            | Output::BodyEnd {
                transfer,
                encoded_len,
            } => runs.push((std::mem::take(&mut cur), transfer.clone(), *encoded_len)),
            Output::Text(_) => {}
        }
        rb.push(o);
    };
    let mut last = 0;
    for &c in cuts {
        let c = c.clamp(last, input.len());
        s.feed(&input[last..c], &mut f);
        last = c;
    }
    s.feed(&input[last..], &mut f);
    let meta = s.finish(&mut f).expect("accounting");
    Collected {
        skeleton,
        runs,
        text: rb.text,
        rebuilt: rb.bytes,
        meta,
    }
}

fn split(input: &[u8]) -> Collected {
    split_with(input, &[], Limits::default())
}

fn small() -> Limits {
    Limits {
        body_threshold: 8,
        ..Limits::default()
    }
}

fn leaves(p: &Part, out: &mut Vec<Part>) {
    if let Some(m) = &p.message {
        leaves(&m.root, out);
    } else if p.children.is_empty() {
        out.push(p.clone());
    }
    for c in &p.children {
        leaves(c, out);
    }
}

const MULTI: &[u8] = b"From: A <a@x.org>\r\nTo: b@y.org, Grp: c@z;\r\n\
Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nDate: Fri, 21 Nov 1997 09:55:06 -0600\r\n\
Message-ID: <m1@x.org>\r\nReferences: <r1@x> <r2@x>\r\n\
Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\npreamble\r\n--XX\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\nHello   world,\r\nline 2\r\n--XX\r\n\
Content-Type: application/octet-stream; name=a.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n\
AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\r\nISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+P0BB\r\n\
QkNE\r\n--XX--\r\nepilogue\r\n";

#[test]
fn multipart_tree_and_outputs() {
    let c = split_with(MULTI, &[], small());
    assert_eq!(c.rebuilt, MULTI);
    let m = &c.meta.meta;
    assert_eq!(m.subject.as_deref(), Some("Gr\u{fc}\u{df}e"));
    assert_eq!(m.message_id.as_deref(), Some("m1@x.org"));
    assert_eq!(m.references, vec!["r1@x", "r2@x"]);
    assert_eq!(m.sent_date, Some(880_127_706));
    assert!(m.has_attachments);
    assert_eq!(m.preview, "Hello world, line 2");
    assert_eq!(m.envelope.to.len(), 4);
    assert_eq!(m.envelope.sender, m.envelope.from);
    let root = &m.root;
    assert_eq!(
        (root.media_type.as_str(), root.media_subtype.as_str()),
        ("multipart", "mixed")
    );
    assert_eq!(root.body_end, MULTI.len() as u64);
    assert_eq!(root.children.len(), 2);
    let t = &root.children[0];
    let body = &MULTI[t.body_start as usize..t.body_end as usize];
    assert_eq!(body, b"Hello   world,\r\nline 2");
    assert_eq!(t.body_lines, 1); // line ends, as Dovecot counts
    let hdr = &MULTI[t.header_start as usize..t.body_start as usize];
    assert_eq!(hdr, b"Content-Type: text/plain; charset=utf-8\r\n\r\n");
    let a = &root.children[1];
    assert_eq!(a.decoded_size, Some(69));
    assert_eq!(a.body_lines, 2);
    assert!(MULTI[a.body_end as usize..].starts_with(b"\r\n--XX--"));
    // The text part is a run too (threshold 8), then the attachment, decoded.
    assert_eq!(c.runs.len(), 2);
    assert_eq!(c.runs[1].0, (0u8..69).collect::<Vec<_>>());
    assert_eq!(
        c.runs[1].1,
        Transfer::Base64 {
            line_len: 44,
            crlf: true,
            final_eol: true
        }
    );
    assert_eq!(c.text, "Hello   world,\r\nline 2\r\n\n");
}

#[test]
fn every_split_point_gives_the_same_result() {
    let inputs: &[&[u8]] = &[
        MULTI,
        b"Subject: x\n\nbody\n",
        b"no header line\r\n--b\r\n",
        b"Content-Type: multipart/mixed; boundary=b\n\n--b\nX: y\n\nQUJD\r\n--b\n",
    ];
    for input in inputs {
        let whole = split_with(input, &[], small());
        assert_eq!(whole.rebuilt, *input);
        for i in 0..=input.len() {
            assert_eq!(split_with(input, &[i], small()), whole, "cut at {i}");
        }
    }
}

/// Each case: (input, expected leaf (type/subtype, body)).
#[test]
fn malformed_table() {
    type Case = (&'static [u8], &'static [(&'static str, &'static [u8])]);
    let cases: &[Case] = &[
        (b"", &[("text/plain", b"")]),
        (b"just a header line\nand more", &[("text/plain", b"")]),
        (b"Subject: no blank line\nstill header\n", &[("text/plain", b"")]),
        (b"\nheaderless body\n", &[("text/plain", b"headerless body\n")]),
        (
            b"Content-Type: multipart/mixed; boundary=z\n--z\nContent-Type: text/html\n\nx\n--z--\n",
            &[("text/html", b"x")],
        ),
        (b"Subject: x\r\n", &[("text/plain", b"")]),
        (
            b"Content-Type: multipart/mixed; boundary=q\n\n--q\n\nunterminated",
            &[("text/plain", b"unterminated")],
        ),
        (
            b"Content-Type: multipart/mixed; boundary=q\n\nno boundary at all\n",
            &[("multipart/mixed", b"no boundary at all\n")],
        ),
        (b"Content-Type: multipart/mixed\n\n--q\n\nx\n", &[("multipart/mixed", b"--q\n\nx\n")]),
        (
            b"Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: in\n\nhi\n--d--\n",
            &[("text/plain", b"hi")],
        ),
        (
            b"Content-Type: message/rfc822\n\nSubject: inner\n\ninner body\n",
            &[("text/plain", b"inner body\n")],
        ),
        (
            b"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/mixed; boundary=i\n\n--i\n\na\n--o\n\nb\n--o--\n",
            &[("text/plain", b"a"), ("text/plain", b"b")],
        ),
        (b"Subject: nul\0byte\n\nbody\0\rx\r", &[("text/plain", b"body\0\rx\r")]),
        (b"Subject: caf\xe9\n\n8bit \xff", &[("text/plain", b"8bit \xff")]),
    ];
    for (input, want) in cases {
        let c = split(input);
        assert_eq!(&c.rebuilt[..], *input);
        let mut ls = Vec::new();
        leaves(&c.meta.meta.root, &mut ls);
        let got: Vec<(String, &[u8])> = ls
            .iter()
            .map(|p| {
                (
                    format!("{}/{}", p.media_type, p.media_subtype),
                    &input[p.body_start as usize..p.body_end as usize],
                )
            })
            .collect();
        let want: Vec<(String, &[u8])> = want.iter().map(|(t, b)| (t.to_string(), *b)).collect();
        assert_eq!(got, want, "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn nesting_bomb_is_bounded() {
    let mut msg = Vec::new();
    for i in 0..200 {
        msg.extend_from_slice(
            format!("Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n").as_bytes(),
        );
    }
    msg.extend_from_slice(b"\nleaf\n");
    let c = split(&msg);
    assert_eq!(c.rebuilt, msg);
    let mut depth = 0;
    let mut p = &c.meta.meta.root;
    while let Some(ch) = p.children.first() {
        depth += 1;
        p = ch;
    }
    assert!(depth < Limits::default().max_depth, "depth {depth}");
}

#[test]
fn huge_header_degrades() {
    let mut msg = b"Subject: s\r\n".to_vec();
    for i in 0..20_000 {
        msg.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(20)).as_bytes());
    }
    msg.extend_from_slice(b"\r\nbody\r\n");
    let c = split(&msg);
    assert_eq!(c.rebuilt, msg);
    assert_eq!(c.meta.meta.subject.as_deref(), Some("s"));
    let r = &c.meta.meta.root;
    assert_eq!(&msg[r.body_start as usize..], b"body\r\n");
}

#[test]
fn base64_violation_mid_body() {
    let mut body = String::new();
    for _ in 0..100 {
        body.push_str(
            "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\r\n"
                .replace('=', "A")
                .as_str(),
        );
    }
    body.push_str("QUJD EVG\r\nmore\r\n");
    let msg =
        format!("Content-Transfer-Encoding: base64\r\nContent-Type: application/x\r\n\r\n{body}");
    let c = split(msg.as_bytes());
    assert_eq!(c.rebuilt, msg.as_bytes());
    assert_eq!(c.runs.len(), 1);
    assert!(c.meta.skeleton_len < 200, "{}", c.meta.skeleton_len);
}

fn arb_message() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(&b"--b\r\n"[..]),
        Just(&b"--b--\r\n"[..]),
        Just(&b"--c\n"[..]),
        Just(&b"Content-Type: multipart/mixed; boundary=c\r\n"[..]),
        Just(&b"Content-Type: message/rfc822\r\n"[..]),
        Just(&b"Content-Transfer-Encoding: base64\r\n"[..]),
        Just(&b"Content-Type: text/html; charset=iso-8859-1\r\n"[..]),
        Just(&b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVpBQkNERUZH\r\n"[..]),
        Just(&b"QUJDREVG\n"[..]),
        Just(&b"Rw==\r\n"[..]),
        Just(&b"\r\n"[..]),
        Just(&b"\n"[..]),
        Just(&b"\r"[..]),
        Just(&b"<p>caf\xe9 =E9</p>"[..]),
        Just(&b"Subject: =?utf-8?q?x?=\r\n"[..]),
        Just(&b" folded\r\n"[..]),
    ];
    let head = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
    proptest::collection::vec(piece, 0..60).prop_map(move |ps| {
        let mut m = head.clone();
        for p in ps {
            m.extend_from_slice(p);
        }
        m
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn chunking_does_not_matter(msg in arb_message(), cuts in proptest::collection::vec(0usize..3000, 0..12)) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let limits = Limits { body_threshold: 16, line_cap: 128, ..Limits::default() };
        let whole = split_with(&msg, &[], limits.clone());
        prop_assert_eq!(&whole.rebuilt, &msg);
        let chunked = split_with(&msg, &cuts, limits);
        prop_assert_eq!(chunked, whole);
    }

    #[test]
    fn arbitrary_bytes_round_trip(msg in proptest::collection::vec(any::<u8>(), 0..600), cut in 0usize..600) {
        let limits = Limits { body_threshold: 4, line_cap: 128, ..Limits::default() };
        let whole = split_with(&msg, &[], limits.clone());
        prop_assert_eq!(&whole.rebuilt, &msg);
        prop_assert_eq!(split_with(&msg, &[cut], limits), whole);
    }
}

#[test]
fn hostile_shapes_stay_linear() {
    // A header block of many delimiter-like lines, then many one-byte lines of body inside
    // deep nesting: must finish quickly (each probe parses the block; probes are bounded).
    let mut msg = b"Content-Type: multipart/mixed; boundary=zz\r\n".to_vec();
    for _ in 0..50_000 {
        msg.extend_from_slice(b"--x\r\n");
    }
    msg.extend_from_slice(b"\r\n--zz\r\n\r\n");
    for _ in 0..100_000 {
        msg.extend_from_slice(b"-\n");
    }
    let t = std::time::Instant::now();
    let c = split(&msg);
    assert_eq!(c.rebuilt, msg);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}

/// Throughput on a large base64 attachment (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn throughput() {
    let data: Vec<u8> = (0..20_000_000u32).map(|i| (i * 31 % 253) as u8).collect();
    let mut msg = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    msg.extend_from_slice(&encode_base64_run(&data, 76, true, true));
    msg.extend_from_slice(b"--b--\r\n");
    let t = std::time::Instant::now();
    let mut s = Splitter::new(Limits::default());
    let mut decoded = 0usize;
    let mut f = |o: Output<'_>| {
        if let Output::Decoded(d) = o {
            decoded += d.len()
        }
    };
    for c in msg.chunks(64 * 1024) {
        s.feed(c, &mut f);
    }
    s.finish(&mut f).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{} MB in {secs:.2}s: {:.1} MB/s",
        msg.len() / 1_000_000,
        msg.len() as f64 / secs / 1e6
    );
    assert_eq!(decoded, data.len());
}

#[test]
fn text_is_capped_on_a_char_boundary() {
    let msg =
        "Content-Type: text/plain; charset=utf-8\r\n\r\n\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\r\n";
    let limits = Limits {
        text_cap: 5,
        ..Limits::default()
    };
    let c = split_with(msg.as_bytes(), &[], limits);
    // Two whole characters (a third would pass the cap), then the part separator.
    assert_eq!(c.text, "\u{e9}\u{e9}\n");
    assert_eq!(c.meta.text_len, 5);
    assert_eq!(c.meta.meta.preview, "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}");
}

#[test]
fn header_block_cut_off_by_a_boundary() {
    // The CRLF before the delimiter is the delimiter's (RFC 2046 §5.1.1), not the header's.
    let table: &[(&[u8], &[u8])] = &[
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n--q--\r\n",
            b"Content-Type: text/plain",
        ),
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n--q--\r\n",
            b"",
        ),
    ];
    for (input, header) in table {
        let c = split(input);
        let mut ls = Vec::new();
        leaves(&c.meta.meta.root, &mut ls);
        let p = &ls[0];
        assert_eq!(
            &input[p.header_start as usize..p.body_start as usize],
            *header,
            "{}",
            String::from_utf8_lossy(input)
        );
        assert_eq!(p.body_start, p.body_end);
        assert_eq!(p.body_lines, 0);
    }
}

#[test]
fn body_lines_as_imap_counts_them() {
    // (input, lines of the first leaf): line ends inside the body, as Dovecot counts them
    // (checked by imapd/tests/structure_vs_dovecot.rs).
    let table: &[(&[u8], u64)] = &[
        (b"\r\na\r\nb", 1),
        (b"\r\na\r\nb\r\n", 2),
        (b"\r\n", 0),
        (b"\r\n\r\n", 1),
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\na\r\n\r\n--q--\r\n",
            1,
        ),
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\na\r\nb\r\n--q--\r\n",
            1,
        ),
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n--q--\r\n",
            0,
        ),
        (
            b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n\r\n\r\n--q--\r\n",
            0,
        ),
    ];
    for (input, lines) in table {
        let c = split(input);
        let mut ls = Vec::new();
        leaves(&c.meta.meta.root, &mut ls);
        assert_eq!(
            ls[0].body_lines,
            *lines,
            "{}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn embedded_message_envelope_and_offsets() {
    let msg: &[u8] = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n\
Content-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: \"X Y\" <x@y.z>\r\n\
Content-Type: text/plain\r\n\r\ninner body\r\n--o--\r\n";
    let c = split(msg);
    let root = &c.meta.meta.root;
    let r = &root.children[0];
    assert_eq!(
        (r.media_type.as_str(), r.media_subtype.as_str()),
        ("message", "rfc822")
    );
    let m = r.message.as_ref().unwrap();
    assert_eq!(m.envelope.subject.as_deref(), Some(&b"inner"[..]));
    assert_eq!(m.envelope.from[0].name.as_deref(), Some(&b"X Y"[..]));
    assert_eq!(m.root.header_start, r.body_start);
    assert_eq!(
        &msg[m.root.body_start as usize..m.root.body_end as usize],
        b"inner body"
    );
    assert_eq!(r.body_end, m.root.body_end);
    assert_eq!(c.meta.meta.subject.as_deref(), Some("outer"));
    assert_eq!(c.meta.meta.preview, "inner body");
}
