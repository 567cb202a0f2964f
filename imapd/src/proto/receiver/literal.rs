//! Literal announcements at the end of a command line: `{n}`, `{n+}` (RFC 7888) and `~{n}`
//! (literal8, RFC 3516).

/// A literal announcement ending a line: `{n}`, `{n+}` or `~{n}` (RFC 3516 literal8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct LiteralSuffix {
    /// Where the announcement (including `~`) starts in the line.
    pub start: usize,
    pub size: u64,
    pub nonsync: bool,
    pub binary: bool,
}

pub(super) fn literal_suffix(line: &[u8]) -> Option<LiteralSuffix> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let mut digits = &inner[open + 1..];
    let nonsync = digits.last() == Some(&b'+');
    if nonsync {
        digits = &digits[..digits.len() - 1];
    }
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let size = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let binary = open > 0 && line[open - 1] == b'~';
    Some(LiteralSuffix {
        start: if binary { open - 1 } else { open },
        size,
        nonsync,
        binary,
    })
}
