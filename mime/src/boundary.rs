//! Boundary delimiter lines (RFC 2046 §5.1.1): `--boundary` or `--boundary--`, optionally
//! followed by linear whitespace ("transport padding"). Anything else after the boundary makes
//! the line ordinary content, which keeps `--abc` and `--abcdef` apart.

/// Which delimiter a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Delim {
    /// `--boundary`: a new body part follows.
    Part,
    /// `--boundary--`: the multipart ends.
    Close,
}

/// Matches a line's content (without its line ending) against one boundary.
pub(crate) fn matches(line: &[u8], boundary: &[u8]) -> Option<Delim> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let (kind, rest) = match rest.strip_prefix(b"--") {
        Some(r) => (Delim::Close, r),
        None => (Delim::Part, rest),
    };
    rest.iter()
        .all(|&c| matches!(c, b' ' | b'\t' | b'\r'))
        .then_some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let table: &[(&[u8], &[u8], Option<Delim>)] = &[
            (b"--abc", b"abc", Some(Delim::Part)),
            (b"--abc--", b"abc", Some(Delim::Close)),
            (b"--abc  \t", b"abc", Some(Delim::Part)),
            (b"--abc-- ", b"abc", Some(Delim::Close)),
            (b"--abcdef", b"abc", None),
            (b"--ab", b"abc", None),
            (b"abc", b"abc", None),
            (b"---abc", b"-abc", Some(Delim::Part)),
        ];
        for (line, b, want) in table {
            assert_eq!(matches(line, b), *want, "{}", String::from_utf8_lossy(line));
        }
    }
}
