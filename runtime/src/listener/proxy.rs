//! The PROXY protocol header (HAProxy, "The PROXY protocol", versions 1 and 2), sans-I/O: bytes
//! in, [`Parse`] out.
//!
//! Invariants:
//! - [`Parse::Need`] says how many more bytes may be read *without reading past the header*, so
//!   the caller can read exactly that much and hand the untouched stream to the protocol;
//! - a header is never longer than [`MAX_V1`] (spec §2.1) or [`MAX_V2`] bytes; longer is
//!   [`Parse::Invalid`];
//! - input that cannot begin a header is invalid as soon as its first bytes show it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The v2 signature (spec §2.2).
const V2_SIGNATURE: &[u8; 12] = b"\r\n\r\n\0\r\nQUIT\n";
/// The v1 prefix (spec §2.1).
const V1_PREFIX: &[u8] = b"PROXY ";
/// The shortest header of either version: `PROXY UNKNOWN\r\n`; a v2 header is at least 16.
const MIN_HEADER: usize = 15;
/// The longest v1 line, CRLF included (spec §2.1).
pub const MAX_V1: usize = 107;
/// Our bound on a v2 header: 16 fixed bytes, the addresses (216 for AF_UNIX) and TLVs.
pub const MAX_V2: usize = 1024;

/// The result of parsing the bytes received so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parse {
    /// Not a complete header yet: read at most this many more bytes (at least 1).
    Need(usize),
    /// A complete header of `consumed` bytes.
    Parsed(Header),
    /// Not a PROXY header (or a malformed or oversized one).
    Invalid(&'static str),
}

/// What a header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The client's address; `None` for `UNKNOWN` (v1), `LOCAL` or a non-IP family (v2): the
    /// connection is then the proxy's own (a health check).
    pub source: Option<SocketAddr>,
    /// The address the client connected to (`None` likewise).
    pub destination: Option<SocketAddr>,
    /// Length of the header; the protocol starts after it.
    pub consumed: usize,
}

/// Parses the start of a connection's input.
pub fn parse(buf: &[u8]) -> Parse {
    let v2_prefix = buf.len().min(V2_SIGNATURE.len());
    if buf[..v2_prefix] == V2_SIGNATURE[..v2_prefix] {
        return if buf.len() < V2_SIGNATURE.len() {
            Parse::Need(MIN_HEADER - buf.len())
        } else {
            parse_v2(buf)
        };
    }
    let v1_prefix = buf.len().min(V1_PREFIX.len());
    if buf[..v1_prefix] != V1_PREFIX[..v1_prefix] {
        return Parse::Invalid("not a PROXY header");
    }
    if buf.len() < MIN_HEADER {
        return Parse::Need(MIN_HEADER - buf.len());
    }
    parse_v1(buf)
}

fn parse_v1(buf: &[u8]) -> Parse {
    let Some(lf) = memchr::memchr(b'\n', buf) else {
        return if buf.len() >= MAX_V1 {
            Parse::Invalid("PROXY v1 line too long")
        } else {
            // The line ends somewhere ahead: one byte at a time never reads past it.
            Parse::Need(1)
        };
    };
    if lf + 1 > MAX_V1 {
        return Parse::Invalid("PROXY v1 line too long");
    }
    let Some(line) = buf[..lf].strip_suffix(b"\r") else {
        return Parse::Invalid("PROXY v1 line without CR");
    };
    let Ok(line) = std::str::from_utf8(line) else {
        return Parse::Invalid("PROXY v1 line not ASCII");
    };
    match v1_addresses(line) {
        Ok((source, destination)) => Parse::Parsed(Header {
            source,
            destination,
            consumed: lf + 1,
        }),
        Err(e) => Parse::Invalid(e),
    }
}

type Addresses = (Option<SocketAddr>, Option<SocketAddr>);

/// `PROXY TCP4 src dst sport dport` (spec §2.1); `UNKNOWN` may be followed by anything.
fn v1_addresses(line: &str) -> Result<Addresses, &'static str> {
    let mut words = line.split(' ');
    let (_proxy, family) = (words.next(), words.next());
    let v6 = match family {
        Some("UNKNOWN") => return Ok((None, None)),
        Some("TCP4") => false,
        Some("TCP6") => true,
        _ => return Err("PROXY v1: unknown protocol"),
    };
    let fields: Vec<&str> = words.collect();
    let [src, dst, sport, dport] = fields[..] else {
        return Err("PROXY v1: wrong number of fields");
    };
    let ip = |s: &str| -> Result<IpAddr, &'static str> {
        let ip = if v6 {
            s.parse::<Ipv6Addr>().map(IpAddr::V6)
        } else {
            s.parse::<Ipv4Addr>().map(IpAddr::V4)
        };
        ip.map_err(|_| "PROXY v1: bad address")
    };
    let port = |s: &str| -> Result<u16, &'static str> {
        let digits = !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit());
        let leading_zero = s.len() > 1 && s.starts_with('0');
        match s.parse() {
            Ok(p) if digits && !leading_zero => Ok(p),
            _ => Err("PROXY v1: bad port"),
        }
    };
    let source = SocketAddr::new(ip(src)?, port(sport)?);
    let destination = SocketAddr::new(ip(dst)?, port(dport)?);
    Ok((Some(source), Some(destination)))
}

fn parse_v2(buf: &[u8]) -> Parse {
    const FIXED: usize = 16;
    if buf.len() < FIXED {
        return Parse::Need(FIXED - buf.len());
    }
    let (version_command, family) = (buf[12], buf[13]);
    if version_command >> 4 != 2 {
        return Parse::Invalid("PROXY v2: unknown version");
    }
    let local = match version_command & 0x0f {
        0 => true,
        1 => false,
        _ => return Parse::Invalid("PROXY v2: unknown command"),
    };
    let total = FIXED + usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    if total > MAX_V2 {
        return Parse::Invalid("PROXY v2 header too long");
    }
    if buf.len() < total {
        return Parse::Need(total - buf.len());
    }
    let body = &buf[FIXED..total];
    let header = |(source, destination): Addresses| {
        Parse::Parsed(Header {
            source,
            destination,
            consumed: total,
        })
    };
    // §2.2: with LOCAL the receiver must ignore the address information.
    if local {
        return header((None, None));
    }
    // The high nibble is the address family, the low one the transport (1: STREAM).
    match (family >> 4, family & 0x0f) {
        (1, 1) if body.len() >= 12 => {
            let ip = |at: usize| IpAddr::from([body[at], body[at + 1], body[at + 2], body[at + 3]]);
            let port = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
            header((
                Some(SocketAddr::new(ip(0), port(8))),
                Some(SocketAddr::new(ip(4), port(10))),
            ))
        }
        (2, 1) if body.len() >= 36 => {
            let ip = |at: usize| {
                let mut octets = [0u8; 16];
                octets.copy_from_slice(&body[at..at + 16]);
                IpAddr::from(octets)
            };
            let port = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
            header((
                Some(SocketAddr::new(ip(0), port(32))),
                Some(SocketAddr::new(ip(16), port(34))),
            ))
        }
        (1 | 2, 1) => Parse::Invalid("PROXY v2: address block too short"),
        // UNSPEC, AF_UNIX or a datagram transport: no client address to use (§2.2 says the
        // receiver may accept the connection and use the real connection's addresses).
        _ => header((None, None)),
    }
}

#[cfg(test)]
#[path = "proxy_tests.rs"]
pub(crate) mod tests;
