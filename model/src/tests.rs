//! Stored-form compatibility of the content model: records written before the version-2
//! quoted-printable rules decode unchanged, and layouts without those rules are still written
//! in the version-1 form.

use super::*;
use crate::types::BlobId;

fn v1(line_len: u32) -> QpLayout {
    QpLayout {
        line_len,
        crlf: true,
        lookahead: true,
        word_wrap: false,
        lf_break: false,
        soft_end: false,
        final_eol: true,
        overhang: false,
        space_hangs: false,
        trailing_ws: false,
        escape: 0,
    }
}

/// A `Segment::Blob` with a quoted-printable layout as postcard wrote it before version 2:
/// variant 1 (Blob), the blob id, offset 5, len 300, transfer variant 2 (QuotedPrintable)
/// with its seven fields, encoded_len 400.
fn old_record() -> Vec<u8> {
    let mut r = vec![1u8];
    r.extend_from_slice(&[7u8; 32]);
    r.extend_from_slice(&[5, 0xac, 0x02]);
    r.extend_from_slice(&[2, 76, 1, 1, 0, 0, 0, 1]);
    r.extend_from_slice(&[0x90, 0x03]);
    r
}

fn segment(transfer: Transfer) -> Segment {
    Segment::Blob {
        blob: BlobId([7u8; 32]),
        offset: 5,
        len: 300,
        transfer,
        encoded_len: 400,
    }
}

#[test]
fn version_1_records_decode_and_are_still_written() {
    let want = segment(Transfer::QuotedPrintable(v1(76)));
    let got: Segment = postcard::from_bytes(&old_record()).unwrap();
    assert_eq!(got, want);
    assert_eq!(postcard::to_allocvec(&want).unwrap(), old_record());
}

#[test]
fn version_2_layouts_round_trip() {
    let table = [
        QpLayout {
            trailing_ws: true,
            ..v1(76)
        },
        QpLayout {
            escape: 1u128 << b'"',
            ..v1(998)
        },
        QpLayout {
            overhang: true,
            ..v1(75)
        },
        QpLayout {
            word_wrap: true,
            space_hangs: true,
            ..v1(73)
        },
        QpLayout {
            trailing_ws: true,
            escape: (1u128 << 126) | (1u128 << 33),
            soft_end: true,
            ..v1(4)
        },
    ];
    for l in table {
        let s = segment(Transfer::QuotedPrintable(l));
        let bytes = postcard::to_allocvec(&s).unwrap();
        // The appended variant (3), not the version-1 one.
        assert_eq!(bytes[1 + 32 + 3], 3, "{l:?}");
        assert_eq!(postcard::from_bytes::<Segment>(&bytes).unwrap(), s);
    }
    for t in [
        Transfer::Identity,
        Transfer::Base64 {
            line_len: 76,
            crlf: false,
            final_eol: true,
        },
    ] {
        let bytes = postcard::to_allocvec(&t).unwrap();
        assert_eq!(postcard::from_bytes::<Transfer>(&bytes).unwrap(), t);
    }
}
