//! Header-field selection for `HEADER.FIELDS` and `HEADER.FIELDS.NOT` (RFC 3501 §6.4.5).
//!
//! Works on the raw header block (including the blank line that ends it). Field names are
//! compared case-insensitively (ASCII, as RFC 5322 names are ASCII) after trimming whitespace
//! before the colon; selected fields keep their original bytes, folding included. RFC 3501
//! includes "the blank line between the header and the body" in header fetches: `HEADER.FIELDS`
//! always ends with one (the original, or CRLF when the header had none, e.g. a header-only
//! message), `HEADER.FIELDS.NOT` with the original one only if there was one. Both choices match
//! Dovecot's answers on the corpus.

/// One field of a header block: its name and the byte range of all its (folded) lines.
struct Field<'a> {
    name: &'a [u8],
    bytes: &'a [u8],
}

/// Splits `block` into fields and the terminating blank line (if any).
fn split(block: &[u8]) -> (Vec<Field<'_>>, Option<&[u8]>) {
    let mut fields: Vec<Field<'_>> = Vec::new();
    let mut pos = 0;
    let mut start: Option<usize> = None;
    while pos < block.len() {
        let end = memchr_nl(&block[pos..]).map_or(block.len(), |i| pos + i + 1);
        let line = &block[pos..end];
        let is_blank = line == b"\n" || line == b"\r\n";
        let is_continuation = matches!(line.first(), Some(b' ' | b'\t'));
        if !is_continuation || is_blank {
            if let Some(s) = start.take() {
                fields.push(field(&block[s..pos]));
            }
            if is_blank {
                return (fields, Some(line));
            }
            start = Some(pos);
        } else if start.is_none() {
            // A continuation with nothing before it: keep it as a nameless field.
            start = Some(pos);
        }
        pos = end;
    }
    if let Some(s) = start {
        fields.push(field(&block[s..]));
    }
    (fields, None)
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

fn field(bytes: &[u8]) -> Field<'_> {
    let name = match bytes.iter().position(|&c| c == b':') {
        Some(i) => bytes[..i].trim_ascii_end(),
        None => &[][..],
    };
    Field { name, bytes }
}

/// The fields of `block` whose name is (`exclude == false`) or is not (`exclude == true`) in
/// `names`, in their original order, followed by the blank line (see the module doc).
pub fn filter_fields(block: &[u8], names: &[String], exclude: bool) -> Vec<u8> {
    let (fields, blank) = split(block);
    let mut out = Vec::new();
    for f in fields {
        let listed = !f.name.is_empty()
            && names
                .iter()
                .any(|n| n.as_bytes().eq_ignore_ascii_case(f.name));
        if listed != exclude {
            out.extend_from_slice(f.bytes);
        }
    }
    match blank {
        Some(b) => out.extend_from_slice(b),
        None if !exclude => out.extend_from_slice(b"\r\n"),
        None => {}
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const H: &[u8] = b"From: a@x\r\nSubject: hello\r\n  world\r\nX-Subject : no\r\nsubject: two\r\nTo: b@y\r\n\r\n";

    /// (header block, names, exclude, expected)
    type Case = (&'static [u8], &'static [&'static str], bool, &'static [u8]);

    #[test]
    fn table() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let table: &[Case] = &[
            (
                H,
                &["SUBJECT"],
                false,
                b"Subject: hello\r\n  world\r\nsubject: two\r\n\r\n",
            ),
            (H, &["x-subject"], false, b"X-Subject : no\r\n\r\n"),
            (H, &["nothing"], false, b"\r\n"),
            (
                H,
                &["subject", "x-subject"],
                true,
                b"From: a@x\r\nTo: b@y\r\n\r\n",
            ),
            // LF-only header keeps its own line ends.
            (
                b"A: 1\nB: 2\n\tcont\n\n",
                &["b"],
                false,
                b"B: 2\n\tcont\n\n",
            ),
            // No blank line (header-only message): CRLF is supplied.
            (b"A: 1\r\nB: 2", &["b"], false, b"B: 2\r\n"),
            // A nameless junk line is never selected but survives .NOT.
            (b"junk\r\nA: 1\r\n\r\n", &["a"], true, b"junk\r\n\r\n"),
            // .NOT of a header without a blank line adds none.
            (b"A: 1\r\nB: 2\r\n", &["b"], true, b"A: 1\r\n"),
            (b"no colon", &["x"], true, b"no colon"),
        ];
        for (i, (block, n, exclude, want)) in table.iter().enumerate() {
            let got = filter_fields(block, &names(n), *exclude);
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(want),
                "case {i}"
            );
        }
    }
}
