use super::*;

fn addr(s: &str) -> Option<SocketAddr> {
    Some(s.parse().unwrap())
}

/// A v2 header: `command` 0 LOCAL / 1 PROXY, `family` byte, address block and TLVs.
pub(crate) fn v2(command: u8, family: u8, body: &[u8]) -> Vec<u8> {
    let mut h = V2_SIGNATURE.to_vec();
    h.push(0x20 | command);
    h.push(family);
    h.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
    h.extend_from_slice(body);
    h
}

pub(crate) fn v2_tcp4(src: [u8; 4], dst: [u8; 4], sport: u16, dport: u16) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(&src);
    body.extend_from_slice(&dst);
    body.extend_from_slice(&sport.to_be_bytes());
    body.extend_from_slice(&dport.to_be_bytes());
    v2(1, 0x11, &body)
}

fn v2_tcp6() -> Vec<u8> {
    let src: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
    let dst: std::net::Ipv6Addr = "2001:db8::2".parse().unwrap();
    let mut body = Vec::new();
    body.extend_from_slice(&src.octets());
    body.extend_from_slice(&dst.octets());
    body.extend_from_slice(&4000u16.to_be_bytes());
    body.extend_from_slice(&993u16.to_be_bytes());
    // A TLV (PP2_TYPE_UNIQUE_ID) is skipped.
    body.extend_from_slice(&[0x05, 0x00, 0x02, b'i', b'd']);
    v2(1, 0x21, &body)
}

/// Feeds `input` the way a reader following [`Parse::Need`] would: at most the bytes asked for,
/// and here at most `step` at a time. Returns the final result and the bytes it was shown.
fn feed(input: &[u8], step: usize) -> (Parse, usize) {
    let mut have = 0;
    loop {
        match parse(&input[..have]) {
            Parse::Need(n) => {
                assert!(n >= 1);
                let take = n.min(step).min(input.len() - have);
                if take == 0 {
                    return (Parse::Need(n), have);
                }
                have += take;
            }
            done => return (done, have),
        }
    }
}

#[test]
fn headers_parse_at_every_split_and_never_overread() {
    let cases: Vec<(Vec<u8>, Option<SocketAddr>, Option<SocketAddr>)> = vec![
        (
            b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 143\r\n".to_vec(),
            addr("192.0.2.1:56324"),
            addr("198.51.100.2:143"),
        ),
        (
            b"PROXY TCP6 2001:db8::1 2001:db8::2 4000 993\r\n".to_vec(),
            addr("[2001:db8::1]:4000"),
            addr("[2001:db8::2]:993"),
        ),
        (b"PROXY UNKNOWN\r\n".to_vec(), None, None),
        (
            b"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n".to_vec(),
            None,
            None,
        ),
        (
            v2_tcp4([203, 0, 113, 7], [10, 0, 0, 1], 1234, 110),
            addr("203.0.113.7:1234"),
            addr("10.0.0.1:110"),
        ),
        (
            v2_tcp6(),
            addr("[2001:db8::1]:4000"),
            addr("[2001:db8::2]:993"),
        ),
        // LOCAL: health check from the proxy itself, addresses ignored.
        (v2(0, 0x11, &[1; 12]), None, None),
        // AF_UNIX: no IP address to use.
        (v2(1, 0x31, &[0; 216]), None, None),
    ];
    for (header, source, destination) in cases {
        let mut input = header.clone();
        // The protocol's first bytes follow at once; the parser must not claim them.
        input.extend_from_slice(b"a001 LOGIN x y\r\n");
        for step in 1..=input.len() {
            let (result, seen) = feed(&input, step);
            let want = Parse::Parsed(Header {
                source,
                destination,
                consumed: header.len(),
            });
            assert_eq!(
                result,
                want,
                "{:?} step {step}",
                String::from_utf8_lossy(&header)
            );
            assert_eq!(seen, header.len(), "read past the header at step {step}");
        }
    }
}

#[test]
fn garbage_is_invalid_early() {
    for input in [
        &b"a001 LOGIN"[..],
        b"GET / HTTP/1.1\r\n",
        b"PROXX",
        b"\r\n\r\n\0\r\nQUIX",
    ] {
        let (result, seen) = feed(input, 1);
        assert!(matches!(result, Parse::Invalid(_)), "{input:?}: {result:?}");
        assert!(seen <= input.len());
    }
    // Decided on the first byte that cannot start a header.
    assert!(matches!(parse(b"a"), Parse::Invalid(_)));
    assert_eq!(parse(b""), Parse::Need(MIN_HEADER));
    assert_eq!(parse(b"PRO"), Parse::Need(MIN_HEADER - 3));
}

#[test]
fn malformed_v1_lines_are_invalid() {
    for line in [
        &b"PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n"[..],
        b"PROXY TCP4 192.0.2.1 198.51.100.2 56324 143 9\r\n",
        b"PROXY TCP4 2001:db8::1 198.51.100.2 56324 143\r\n",
        b"PROXY TCP6 192.0.2.1 198.51.100.2 56324 143\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 65536 143\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 +5 143\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 056 143\r\n",
        b"PROXY TCP4  192.0.2.1 198.51.100.2 56 143\r\n",
        b"PROXY UDP4 192.0.2.1 198.51.100.2 56 143\r\n",
        b"PROXY TCP4 192.0.2.1 198.51.100.2 56 143\n",
    ] {
        let (result, _) = feed(line, usize::MAX);
        assert!(
            matches!(result, Parse::Invalid(_)),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn header_size_is_bounded() {
    // v1: no line end within 107 bytes.
    let mut long = b"PROXY UNKNOWN ".to_vec();
    long.resize(200, b'x');
    let (result, seen) = feed(&long, 1);
    assert_eq!(result, Parse::Invalid("PROXY v1 line too long"));
    assert_eq!(seen, MAX_V1);
    // Exactly 107 bytes with CRLF is allowed.
    let mut max = b"PROXY UNKNOWN ".to_vec();
    max.resize(MAX_V1 - 2, b'x');
    max.extend_from_slice(b"\r\n");
    assert!(matches!(feed(&max, 7).0, Parse::Parsed(h) if h.consumed == MAX_V1));
    // v2: the length field is checked before waiting for the body.
    let big = v2(1, 0x11, &vec![0; MAX_V2]);
    assert_eq!(
        parse(&big[..16]),
        Parse::Invalid("PROXY v2 header too long")
    );
    let fits = v2(1, 0x11, &vec![0; MAX_V2 - 16]);
    assert!(matches!(parse(&fits), Parse::Parsed(h) if h.consumed == MAX_V2));
}

#[test]
fn malformed_v2_headers_are_invalid() {
    let mut version1 = v2_tcp4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
    version1[12] = 0x11;
    let mut command = v2_tcp4([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
    command[12] = 0x22;
    let short = v2(1, 0x11, &[0; 8]);
    let short6 = v2(1, 0x21, &[0; 20]);
    for h in [version1, command, short, short6] {
        assert!(matches!(feed(&h, usize::MAX).0, Parse::Invalid(_)), "{h:?}");
    }
}
