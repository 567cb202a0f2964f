//! Modified UTF-7 for mailbox names (RFC 3501 §5.1.3).
//!
//! Invariants: `encode` output is pure printable ASCII and `decode(encode(s)) == s`; `decode`
//! rejects non-canonical forms (`&` runs that encode printable ASCII, padding bits set, bare `&`
//! at the end, unterminated shifts, 8-bit bytes) so a name has one spelling on the wire.

use thiserror::Error;

/// A mailbox name that is not valid modified UTF-7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("invalid modified UTF-7 mailbox name")]
pub struct Mutf7Error;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

fn value(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&x| x == b).map(|p| p as u32)
}

/// Encodes a UTF-8 name: printable ASCII passes, `&` becomes `&-`, the rest is UTF-16 in
/// modified base64 between `&` and `-`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Vec<u16> = Vec::new();
    for ch in s.chars() {
        if (' '..='~').contains(&ch) {
            flush(&mut out, &mut pending);
            if ch == '&' {
                out.push_str("&-");
            } else {
                out.push(ch);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(ch.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

fn flush(out: &mut String, units: &mut Vec<u16>) {
    if units.is_empty() {
        return;
    }
    out.push('&');
    let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| acc << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out.push('-');
    units.clear();
}

/// Decodes a modified UTF-7 name to UTF-8.
pub fn decode(b: &[u8]) -> Result<String, Mutf7Error> {
    let mut out = String::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(0x20..=0x7e).contains(&c) {
            return Err(Mutf7Error);
        }
        if c != b'&' {
            out.push(char::from(c));
            i += 1;
            continue;
        }
        let end = b[i + 1..]
            .iter()
            .position(|&x| x == b'-')
            .ok_or(Mutf7Error)?
            + i
            + 1;
        let run = &b[i + 1..end];
        i = end + 1;
        if run.is_empty() {
            out.push('&');
            continue;
        }
        decode_run(run, &mut out)?;
    }
    Ok(out)
}

fn decode_run(run: &[u8], out: &mut String) -> Result<(), Mutf7Error> {
    let mut bits: u32 = 0;
    let mut nbits = 0;
    let mut units = Vec::new();
    for &c in run {
        bits = bits << 6 | value(c).ok_or(Mutf7Error)?;
        nbits += 6;
        if nbits >= 16 {
            nbits -= 16;
            units.push((bits >> nbits) as u16);
            bits &= (1 << nbits) - 1;
        }
    }
    // RFC 3501 §5.1.3: leftover bits are padding and must be zero, and fewer than 6.
    if nbits >= 6 || bits != 0 || units.is_empty() {
        return Err(Mutf7Error);
    }
    for ch in char::decode_utf16(units.iter().copied()) {
        let ch = ch.map_err(|_| Mutf7Error)?;
        // A shifted run must not hold what could have been written directly.
        if (' '..='~').contains(&ch) {
            return Err(Mutf7Error);
        }
        out.push(ch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, &str)] = &[
            ("INBOX", "INBOX"),
            ("&", "&-"),
            ("a&b", "a&-b"),
            ("Entwürfe", "Entw&APw-rfe"),
            ("日本語", "&ZeVnLIqe-"),
            ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
            ("😀", "&2D3eAA-"),
            ("", ""),
            ("é&é", "&AOk-&-&AOk-"),
        ];
        for (utf8, wire) in cases {
            assert_eq!(encode(utf8), *wire, "encode {utf8}");
            assert_eq!(
                decode(wire.as_bytes()).as_deref(),
                Ok(*utf8),
                "decode {wire}"
            );
        }
    }

    /// encode/decode round-trip over generated names mixing ASCII, `&`, BMP and astral chars.
    #[test]
    fn roundtrip_generated() {
        let pool = [
            'a', '&', '-', ' ', '/', 'é', 'ü', '日', '本', '😀', '~', '+', ',',
        ];
        let mut seed: u64 = 3;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let len = (seed >> 59) as usize;
            let s: String = (0..len)
                .map(|i| pool[((seed >> (i * 3 % 60)) as usize) % pool.len()])
                .collect();
            let wire = encode(&s);
            assert!(wire.bytes().all(|b| (0x20..0x7f).contains(&b)), "{wire}");
            assert_eq!(
                decode(wire.as_bytes()).as_deref(),
                Ok(s.as_str()),
                "{s} -> {wire}"
            );
        }
    }

    #[test]
    fn rejects() {
        for bad in ["&", "&Jjo", "&AGE-", "&AOl-", "&2D0-", "a\u{e9}", "&!-"] {
            assert_eq!(decode(bad.as_bytes()), Err(Mutf7Error), "{bad}");
        }
    }
}
