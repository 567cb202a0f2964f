//! Bytes read from storage by a partial FETCH, over the wire: a 20 MB message whose part 2 is a
//! base64 attachment, fetched as `BODY.PEEK[2]<0.1000>` (and a slice from the middle), must read
//! only the skeleton and the blob chunks covering the range (issue 4: under 300 KB), measured
//! with the store's `content_bytes_read` counter. The same for a quoted-printable attachment.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::World;
use common::client::{Client, literal_of};

/// Decoded attachment size: base64 makes the message about 20 MB on the wire.
const ATTACHMENT: usize = 15 * 1024 * 1024;
const BOUND: u64 = 300 * 1024;

/// Pseudo-random (incompressible) attachment bytes, wrapped base64 lines of 76 characters.
fn message() -> (Vec<u8>, Vec<u8>) {
    let mut x: u32 = 0x1234_5678;
    let data: Vec<u8> = (0..ATTACHMENT)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = Vec::with_capacity(ATTACHMENT * 4 / 3 + ATTACHMENT / 57 * 2 + 8);
    for (i, c) in data.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            b64.extend_from_slice(b"\r\n");
        }
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let out = [18, 12, 6, 0].map(|s| B64[((n >> s) & 63) as usize]);
        let keep = c.len() + 1;
        b64.extend_from_slice(&out[..keep]);
        b64.extend(std::iter::repeat_n(b'=', 4 - keep));
    }
    b64.extend_from_slice(b"\r\n");
    let mut msg = b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: big\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        .to_vec();
    msg.extend_from_slice(&b64);
    msg.extend_from_slice(b"--b1--\r\n");
    (msg, b64)
}

#[tokio::test(flavor = "multi_thread")]
async fn partial_fetch_of_a_20mb_attachment_reads_under_300kb() {
    let w = World::start().await;
    let (msg, b64) = message();
    assert!(msg.len() > 20_000_000, "{}", msg.len());
    w.deliver("INBOX", &msg).await;
    let mut c = Client::login(w.addr).await;
    c.cmd("s", "SELECT INBOX").await;
    // (start, length) table: the case, a slice across a 64 KiB decoded-chunk boundary in
    // the middle, and the end of the part.
    // The part's body ends before the CRLF that precedes the closing boundary.
    let body = &b64[..b64.len() - 2];
    let end = body.len() - 1000;
    for (start, len) in [(0usize, 1000usize), (10_000_001, 4096), (end, 1000)] {
        let before = w.store.stats().content_bytes_read();
        c.send(format!("f FETCH 1 (BODY.PEEK[2]<{start}.{len}>)\r\n").as_bytes())
            .await;
        let rs = c.until_raw("f").await;
        let read = w.store.stats().content_bytes_read() - before;
        assert!(rs.last().unwrap().starts_with(b"f OK"));
        assert_eq!(
            literal_of(&rs[0]),
            &body[start..start + len],
            "<{start}.{len}>"
        );
        println!(
            "BODY[2]<{start}.{len}> of a {}-byte message: {read} bytes read from storage",
            msg.len()
        );
        assert!(read < BOUND, "<{start}.{len}> read {read} bytes");
    }
}

/// The same for a quoted-printable attachment (about 9 MB on the wire): stored decoded, cut
/// into segments of about 64 KiB at line boundaries, so a partial FETCH re-encodes one or two.
#[tokio::test(flavor = "multi_thread")]
async fn partial_fetch_of_a_quoted_printable_attachment_reads_little() {
    use eider_model::QpLayout;
    use eider_store::content::encode_qp;
    let mut x: u32 = 0x9abc_def1;
    let data: Vec<u8> = (0..4 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let layout = QpLayout {
        line_len: 76,
        crlf: true,
        lookahead: true,
        word_wrap: false,
        lf_break: false,
        soft_end: false,
        final_eol: false,
        overhang: false,
        space_hangs: false,
        trailing_ws: false,
        escape: 0,
    };
    let body = encode_qp(&data, &layout);
    let mut msg = b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: big\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\n\
Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        .to_vec();
    msg.extend_from_slice(&body);
    msg.extend_from_slice(b"\r\n--b1--\r\n");
    let w = World::start().await;
    w.deliver("INBOX", &msg).await;
    let mut c = Client::login(w.addr).await;
    c.cmd("s", "SELECT INBOX").await;
    let end = body.len() - 1000;
    for (start, len) in [(0usize, 4096usize), (5_000_001, 4096), (end, 1000)] {
        let before = w.store.stats().content_bytes_read();
        c.send(format!("f FETCH 1 (BODY.PEEK[2]<{start}.{len}>)\r\n").as_bytes())
            .await;
        let rs = c.until_raw("f").await;
        let read = w.store.stats().content_bytes_read() - before;
        assert!(rs.last().unwrap().starts_with(b"f OK"));
        assert_eq!(
            literal_of(&rs[0]),
            &body[start..start + len],
            "<{start}.{len}>"
        );
        println!(
            "QP BODY[2]<{start}.{len}> of a {}-byte message: {read} bytes read from storage",
            msg.len()
        );
        assert!(read < BOUND, "<{start}.{len}> read {read} bytes");
    }
}
