//! Tests of the strict quoted-printable run decoder: a table of recipes and fallbacks, fed in
//! pieces of every size, and properties over random bodies (canonical ones decode whole, in
//! the same pieces whatever the chunking; any input rebuilds exactly).

use super::*;
use crate::qp_encode::encode_qp;
use eider_model::QpLayout;
use proptest::prelude::*;

/// (decoded pieces with their transfer and encoded length, skeleton bytes, rebuilt input).
type RunResult = (Vec<(Vec<u8>, Transfer, u64)>, Vec<u8>, Vec<u8>);

fn run_cuts(input: &[u8], cuts: &[usize]) -> RunResult {
    let mut r = QpRun::new();
    let mut pieces = Vec::new();
    let mut cur = Vec::new();
    let mut skel = Vec::new();
    let mut rb = crate::Rebuilder::default();
    let mut f = |o: Output<'_>| {
        match &o {
            Output::Decoded(d) => cur.extend_from_slice(d),
            Output::Piece {
                transfer,
                encoded_len,
            }
            | Output::BodyEnd {
                transfer,
                encoded_len,
            } => pieces.push((std::mem::take(&mut cur), transfer.clone(), *encoded_len)),
            Output::Skeleton(s) => skel.extend_from_slice(s),
            _ => {}
        }
        rb.push(o);
    };
    let mut last = 0;
    for &c in cuts {
        let c = c.clamp(last, input.len());
        r.feed(&input[last..c], &mut f);
        last = c;
    }
    r.feed(&input[last..], &mut f);
    r.finish(&mut f);
    (pieces, skel, rb.bytes)
}

fn run(input: &[u8], step: usize) -> RunResult {
    let cuts: Vec<usize> = (1..)
        .map(|i| i * step.max(1))
        .take_while(|&c| c < input.len())
        .collect();
    run_cuts(input, &cuts)
}

fn layout(line_len: u32, crlf: bool, soft_end: bool, final_eol: bool) -> QpLayout {
    QpLayout::greedy(line_len, crlf, soft_end, final_eol)
}

fn qp(line_len: u32, crlf: bool, soft_end: bool, final_eol: bool) -> Transfer {
    Transfer::QuotedPrintable(layout(line_len, crlf, soft_end, final_eol))
}

/// A CRLF layout of line length 76 ending in `final_eol` with the version-2 byte rules.
fn qp2(trailing_ws: bool, escape: &[u8], soft_end: bool) -> Transfer {
    Transfer::QuotedPrintable(QpLayout {
        trailing_ws,
        escape: escape.iter().fold(0, |m, &b| m | (1u128 << b)),
        ..layout(76, true, soft_end, !soft_end)
    })
}

#[test]
fn recipe_table() {
    // (input, decoded, transfer, encoded_len): the run covers the first `encoded_len` bytes.
    type Case = (&'static [u8], &'static [u8], Option<Transfer>, u64);
    let table: &[Case] = &[
        (b"hello\r\nworld\r\n", b"hello\r\nworld", Some(qp(76, true, false, true)), 14),
        (b"hello\nworld", b"hello\r\nworld", Some(qp(76, false, false, false)), 11),
        (b"hello\r\n\r\n", b"hello\r\n", Some(qp(76, true, false, true)), 9),
        (b"caf=E9 =3D x=20\r\n", b"caf\xe9 = x ", Some(qp(76, true, false, true)), 17),
        // Soft breaks at 76 (75 characters and `=`).
        (
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\r\nbb\r\n",
            b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabb",
            Some(qp(76, true, false, true)),
            82,
        ),
        // Another line length: the range of lengths that fold the same way; 76 is not in it.
        (b"abcdefghi=\r\njk\r\n", b"abcdefghijk", Some(qp(10, true, false, true)), 16),
        // A body ending in a soft break.
        (b"abc=\r\n", b"abc", Some(qp(76, true, true, false)), 6),
        // Lower-case hex: legal, but not what the encoder writes: nothing decoded.
        (b"caf=e9\r\n", b"", None, 0),
        // Needless escapes: a byte escaped everywhere is in the layout's `escape` set...
        (b"ok\r\n=41\r\n", b"ok\r\nA", Some(qp2(false, b"A", false)), 9),
        (b"=22a=22 =2E\r\n", b"\"a\" .", Some(qp2(false, b"\".", false)), 13),
        // ...and the run stops at the first line where it stands for itself, or the reverse.
        (b"=22a=22\r\n\"b\r\n", b"\"a\"", Some(qp2(false, b"\"", false)), 9),
        (b"\"a\r\n=22b\r\n", b"\"a", Some(qp(76, true, false, true)), 4),
        // Trailing whitespace left as it is: everywhere or nowhere.
        (b"ok\r\ntrailing \r\n", b"ok\r\ntrailing ", Some(qp2(true, b"", false)), 15),
        (b"a\t\r\nb \r\nc\r\n", b"a\t\r\nb \r\nc", Some(qp2(true, b"", false)), 11),
        (b"a \r\nb=20\r\n", b"a ", Some(qp2(true, b"", false)), 4),
        (b"a=20\r\nb \r\n", b"a ", Some(qp(76, true, false, true)), 6),
        // An empty line after a soft break means escaped trailing whitespace (word wrap).
        (b"x \r\nab =\r\n\r\n", b"x \r\nab ", Some(qp2(true, b"", true)), 10),
        // Overhang: an escape placed where its first character fits runs over the line
        // length (5 here: the first line) that no other rule explains.
        (
            b"abcd=\r\nefg=FF=\r\nh\r\n",
            b"abcdefg\xffh",
            Some(Transfer::QuotedPrintable(QpLayout {
                overhang: true,
                ..layout(5, true, false, true)
            })),
            19,
        ),
        // ...but a literal character may not.
        (b"abcd=\r\nefghij=\r\nh\r\n", b"abcd", Some(qp(5, true, true, false)), 7),
        // A hanging space: the `=` after it runs over the line length (5: the first line).
        (
            b"abcd=\r\nefgh =\r\nij\r\n",
            b"abcdefgh ij",
            Some(Transfer::QuotedPrintable(QpLayout {
                word_wrap: true,
                space_hangs: true,
                ..layout(5, true, false, true)
            })),
            19,
        ),
        // ...but not a character.
        (b"abcd=\r\nefghi=\r\nj\r\n", b"abcd", Some(qp(5, true, true, false)), 7),
        // Fallback after the last good line: a bad escape.
        (b"ok\r\nbad=G1\r\n", b"ok", Some(qp(76, true, false, true)), 4),
        // Mixed line endings; a bare CR.
        (b"ok\r\nlf\n", b"ok", Some(qp(76, true, false, true)), 4),
        (b"ok\r\na\rb\r\n", b"ok", Some(qp(76, true, false, true)), 4),
        // An escaped CRLF would re-encode as a hard break.
        (b"ok\r\na=0D=0Ab\r\n", b"ok", Some(qp(76, true, false, true)), 4),
        (b"a=0D=\r\n=0Ab\r\n", b"a\r", Some(qp(76, true, true, false)), 7),
        // A soft break where the greedy encoder would not break ends the run after it.
        (b"ab=\r\ncd\r\n", b"ab", Some(qp(76, true, true, false)), 5),
        // ...unless a word-wrapping encoder kept a trailing space whose escape did not fit.
        (
            b"ab =\r\n\r\nx\r\n",
            b"ab \r\nx",
            Some(Transfer::QuotedPrintable(QpLayout {
                word_wrap: true,
                ..layout(4, true, false, true)
            })),
            11,
        ),
        // Whitespace escaped inside a line: escaped everywhere, like a needless escape...
        (b"=09a=09b=09\r\n", b"\ta\tb\t", Some(qp2(false, b"\t", false)), 13),
        (b"a=20b\r\n", b"a b", Some(qp2(false, b" ", false)), 7),
        (b"=09a\r\nb\tc\r\n", b"\ta", Some(qp2(false, b"\t", false)), 6),
        // ...which says nothing of other trailing whitespace; an escaped trailing tab after
        // a trailing space as it is means every tab is escaped.
        (b"a \r\nb=09\r\n", b"a \r\nb\t", Some(qp2(true, b"\t", false)), 10),
        (b"a \r\nb=09\r\nc\td\r\n", b"a \r\nb\t", Some(qp2(true, b"\t", false)), 10),
        (b"=09a \r\nb=09\r\n", b"\ta \r\nb\t", Some(qp2(true, b"\t", false)), 13),
        // `=` is always escaped.
        (b"a=\tb\r\n", b"", None, 0),
        (b"a b=20\r\n", b"a b ", Some(qp(76, true, false, true)), 8),
        // Not QP at all: 8-bit bytes are not written as they are.
        (b"\xe9t\xe9\r\n", b"", None, 0),
        (b"", b"", None, 0),
    ];
    for (input, decoded, transfer, enc) in table {
        for step in [1, 2, 3, 5, 100] {
            let (pieces, skel, rebuilt) = run(input, step);
            let s = String::from_utf8_lossy(input);
            assert_eq!(&rebuilt[..], *input, "{s} step {step}");
            assert!(pieces.len() <= 1, "{s}");
            let got = pieces.first();
            assert_eq!(
                got.map_or(&b""[..], |p| &p.0[..]),
                *decoded,
                "{s} step {step}"
            );
            assert_eq!(got.map(|p| &p.1), transfer.as_ref(), "{s} step {step}");
            assert_eq!(got.map_or(0, |p| p.2), *enc, "{s} step {step}");
            assert_eq!(skel.len() as u64, input.len() as u64 - enc, "{s}");
        }
    }
}

/// Printable bytes real encoders escape needlessly: none, `"` (spam tools), the characters
/// RFC 2045 §6.7 calls unsafe through EBCDIC gateways, and an HTML-minded set.
/// And every tab (HTML editors), which the decoder tracks only without word wrap.
const ESCAPE_SETS: [&[u8]; 5] = [b"", b"\"", b"!\"#$@[\\]^`{|}~", b"\".<>,!", b"\t\""];

fn mask(set: &[u8]) -> u128 {
    set.iter().fold(0, |m, &b| m | (1u128 << b))
}

/// Random decoded bytes that look like text (lines, spaces, some 8-bit and `=`), or binary.
fn decoded_strategy() -> impl Strategy<Value = Vec<u8>> {
    let text = prop::collection::vec(
        prop_oneof![
            8 => b'a'..=b'z',
            1 => Just(b'"'),
            1 => Just(b'.'),
            2 => Just(b' '),
            1 => Just(b'\t'),
            1 => Just(b'='),
            1 => Just(0xe9u8),
            2 => Just(b'\n'),
        ],
        0..3000,
    )
    .prop_map(|v| {
        // Text lines end in CRLF, as in canonical form.
        let mut out = Vec::new();
        for b in v {
            if b == b'\n' {
                out.extend_from_slice(b"\r\n");
            } else {
                out.push(b);
            }
        }
        out
    });
    prop_oneof![3 => text, 1 => prop::collection::vec(any::<u8>(), 0..3000)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// What the encoder writes decodes whole, to the same pieces whatever the chunking.
    #[test]
    fn canonical_bodies_decode_whole(
        data in decoded_strategy(),
        line_len in prop::sample::select(vec![4u32, 20, 76, 200]),
        crlf in any::<bool>(),
        lookahead in any::<bool>(),
        word_wrap in any::<bool>(),
        lf_break in any::<bool>(),
        overhang in any::<bool>(),
        space_hangs in any::<bool>(),
        trailing_ws in any::<bool>(),
        escape in prop::sample::select(ESCAPE_SETS.to_vec()),
        cuts in prop::collection::vec(0usize..8000, 0..8),
    ) {
        let l = QpLayout {
            lookahead,
            // The decoder does not track word wrap with overhang.
            word_wrap: word_wrap && !overhang && !escape.contains(&b'\t'),
            overhang,
            space_hangs: space_hangs && !overhang,
            lf_break,
            trailing_ws,
            escape: mask(escape),
            ..layout(line_len, crlf, false, false)
        };
        let input = encode_qp(&data, &l);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let (pieces, skel, rebuilt) = run_cuts(&input, &cuts);
        prop_assert_eq!(&rebuilt, &input);
        let (whole, _, _) = run(&input, input.len().max(1));
        prop_assert_eq!(&pieces, &whole);
        if !data.is_empty() {
            prop_assert!(skel.is_empty());
            // The last line break is the run's final_eol, not decoded data.
            let dec: Vec<u8> = pieces.iter().flat_map(|p| p.0.clone()).collect();
            prop_assert_eq!(&dec[..], data.strip_suffix(b"\r\n").unwrap_or(&data));
        }
    }

    /// Any body (canonical or damaged) rebuilds exactly, whatever the chunking.
    #[test]
    fn any_body_rebuilds(
        data in decoded_strategy(),
        noise in prop::collection::vec((0usize..10_000, any::<u8>()), 0..4),
        cuts in prop::collection::vec(0usize..8000, 0..8),
    ) {
        let mut input = encode_qp(&data, &layout(76, true, false, false));
        for (at, b) in noise {
            if !input.is_empty() {
                let at = at % input.len();
                input[at] = b;
            }
        }
        let mut cuts = cuts;
        cuts.sort_unstable();
        let (pieces, _, rebuilt) = run_cuts(&input, &cuts);
        prop_assert_eq!(&rebuilt, &input);
        let (whole, _, _) = run(&input, input.len().max(1));
        prop_assert_eq!(pieces, whole);
    }
}

#[test]
fn long_bodies_are_cut_into_pieces_that_reencode_alone() {
    let data: Vec<u8> = (0..400_000u32)
        .map(|i| match i % 97 {
            96 => b'\n',
            95 => b'\r',
            _ => (i * 31 % 256) as u8,
        })
        .collect();
    for crlf in [true, false] {
        let input = encode_qp(&data, &layout(76, crlf, false, false));
        let (pieces, skel, rebuilt) = run(&input, 10_000);
        assert!(skel.is_empty());
        assert_eq!(rebuilt, input);
        assert!(pieces.len() >= 5, "{} pieces", pieces.len());
        let mut pos = 0usize;
        for (dec, transfer, enc) in &pieces {
            assert!(dec.len() as u64 <= PIECE + 1000);
            let Transfer::QuotedPrintable(l) = transfer else {
                panic!("{transfer:?}");
            };
            let text = encode_qp(dec, l);
            assert_eq!(text.len() as u64, *enc);
            assert_eq!(&input[pos..pos + text.len()], &text[..]);
            pos += text.len();
        }
        assert_eq!(pos, input.len());
    }
}

/// Many short bodies over a small alphabet (spaces, tabs, `=`, 8-bit, CR, CRLF) in every
/// layout with short lines, where folding corner cases are dense: each decodes whole.
#[test]
fn short_bodies_in_every_layout_decode_whole() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let alphabet = b"abc  \t=\xe9\n\r\"";
    for _ in 0..100_000 {
        let mut data = Vec::new();
        for _ in 0..rng.gen_range(1..40) {
            match alphabet[rng.gen_range(0..alphabet.len())] {
                b'\n' => data.extend_from_slice(b"\r\n"),
                c => data.push(c),
            }
        }
        let mut l = QpLayout {
            lookahead: rng.gen_bool(0.5),
            word_wrap: rng.gen_bool(0.5),
            lf_break: rng.gen_bool(0.5),
            overhang: rng.gen_bool(0.3),
            space_hangs: rng.gen_bool(0.3),
            trailing_ws: rng.gen_bool(0.5),
            escape: mask(ESCAPE_SETS[rng.gen_range(0..ESCAPE_SETS.len())]),
            ..layout(
                rng.gen_range(4..12),
                rng.gen_bool(0.5),
                false,
                rng.gen_bool(0.5),
            )
        };
        l.word_wrap &= !l.overhang && l.escape & (1 << b'\t') == 0;
        l.space_hangs &= !l.overhang;
        let input = encode_qp(&data, &l);
        let (pieces, skel, rebuilt) = run(&input, 7);
        assert_eq!(rebuilt, input);
        assert!(
            skel.is_empty() && pieces.len() == 1,
            "{:?} {l:?} -> {:?}",
            String::from_utf8_lossy(&data),
            String::from_utf8_lossy(&input)
        );
    }
}
