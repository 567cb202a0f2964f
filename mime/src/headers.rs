//! Header blocks: splitting a block into fields, and reading the MIME
//! fields of a part (RFC 2045 §5, RFC 2183, RFC 3282, RFC 2557, RFC 1864).
//!
//! Field values are unfolded (CR and LF removed, RFC 5322 §2.2.3) and trimmed. A line without a
//! colon inside a block is ignored; a continuation line before any field is ignored.

use super::{encoded_words, params};
use eider_model::Part;

/// An unfolded header field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawField {
    /// Lower-cased name.
    pub name: String,
    /// Raw value bytes, unfolded and trimmed.
    pub value: Vec<u8>,
}

/// Splits a header block (lines with their endings, without the blank line) into fields.
pub(crate) fn fields(block: &[u8]) -> Vec<RawField> {
    let mut out: Vec<RawField> = Vec::new();
    let mut current: Option<(usize, Vec<u8>)> = None;
    for line in block.split_inclusive(|&c| c == b'\n') {
        let starts_ws = matches!(line.first(), Some(b' ' | b'\t'));
        if starts_ws {
            if let Some((_, v)) = &mut current {
                v.extend(line.iter().filter(|&&c| c != b'\r' && c != b'\n'));
            }
            continue;
        }
        finish(&mut out, current.take());
        if let Some(colon) = memchr::memchr(b':', line) {
            let name = String::from_utf8_lossy(line[..colon].trim_ascii()).to_ascii_lowercase();
            let value = line[colon + 1..]
                .iter()
                .copied()
                .filter(|&c| c != b'\r' && c != b'\n')
                .collect();
            if !name.is_empty() {
                out.push(RawField {
                    name,
                    value: Vec::new(),
                });
                current = Some((out.len() - 1, value));
            }
        }
    }
    finish(&mut out, current);
    out
}

fn finish(out: &mut [RawField], current: Option<(usize, Vec<u8>)>) {
    if let Some((i, v)) = current
        && let Some(f) = out.get_mut(i)
    {
        f.value = v.trim_ascii().to_vec();
    }
}

/// The first field of that (lower-case) name.
pub(crate) fn first<'a>(fields: &'a [RawField], name: &str) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_slice())
}

fn text(fields: &[RawField], name: &str, cs: Option<&str>) -> Option<String> {
    first(fields, name).map(|v| encoded_words::decode(v, cs))
}

/// Fills the MIME fields of `part` from its header fields. `digest_child`: the part is a direct
/// child of multipart/digest, whose default type is message/rfc822 (RFC 2046 §5.1.5).
pub(crate) fn apply(part: &mut Part, fields: &[RawField], digest_child: bool) {
    let (mut ty, mut sub) = if digest_child {
        ("message".to_string(), "rfc822".to_string())
    } else {
        ("text".to_string(), "plain".to_string())
    };
    let mut ps = Vec::new();
    if let Some(ct) = first(fields, "content-type") {
        let (main, p) = params::parse(ct, None);
        // RFC 2045 §5.2: a syntactically invalid type falls back to the default.
        if let Some((t, s)) = main.split_once('/') {
            let (t, s) = (t.trim(), s.trim());
            let tok = |x: &str| !x.is_empty() && !x.contains(|c: char| c.is_whitespace());
            if tok(t) && tok(s) {
                (ty, sub) = (t.to_string(), s.to_string());
                ps = p;
            }
        }
    }
    if ps.is_empty() && ty == "text" && sub == "plain" && !digest_child {
        // RFC 2045 §5.2 default parameters.
        ps.push(eider_model::Param {
            name: "charset".into(),
            value: "us-ascii".into(),
        });
    }
    let cs = ps
        .iter()
        .find(|p| p.name == "charset")
        .map(|p| p.value.clone());
    let cs = cs.as_deref();
    part.media_type = ty;
    part.media_subtype = sub;
    part.params = ps;
    part.encoding = first(fields, "content-transfer-encoding")
        .map(|v| {
            String::from_utf8_lossy(&params::strip_comments(v))
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "7bit".to_string());
    part.content_id = text(fields, "content-id", cs);
    part.description = text(fields, "content-description", cs);
    part.location = text(fields, "content-location", cs).map(|l| l.replace([' ', '\t'], ""));
    part.md5 = text(fields, "content-md5", cs);
    if let Some(d) = first(fields, "content-disposition") {
        let (main, p) = params::parse(d, cs);
        if !main.is_empty() {
            part.disposition = Some(main);
            part.disposition_params = p;
        }
    }
    if let Some(l) = first(fields, "content-language") {
        part.language = String::from_utf8_lossy(&params::strip_comments(l))
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_fields() {
        let f = fields(b"Subject: a\r\n  b\r\nX-Y:z\nbad line\n\tcont\nTo:\n");
        let got: Vec<(&str, &[u8])> = f.iter().map(|f| (f.name.as_str(), &f.value[..])).collect();
        assert_eq!(
            got,
            vec![("subject", &b"a  b"[..]), ("x-y", b"z"), ("to", b"")]
        );
    }

    #[test]
    fn part_fields() {
        let mut p = Part::default();
        let f = fields(
            b"Content-Type: IMAGE/PNG; name=a.png\r\nContent-Transfer-Encoding: BASE64\r\n\
              Content-Disposition: attachment; filename=\"a.png\"\r\nContent-Language: en, de\r\n",
        );
        apply(&mut p, &f, false);
        assert_eq!(
            (p.media_type.as_str(), p.media_subtype.as_str()),
            ("image", "png")
        );
        assert_eq!(p.encoding, "base64");
        assert_eq!(p.disposition.as_deref(), Some("attachment"));
        assert_eq!(p.disposition_params[0].value, "a.png");
        assert_eq!(p.language, vec!["en", "de"]);
        let mut d = Part::default();
        apply(&mut d, &fields(b"Content-Type: bogus\r\n"), true);
        assert_eq!(
            (d.media_type.as_str(), d.media_subtype.as_str()),
            ("message", "rfc822")
        );
        let mut t = Part::default();
        apply(&mut t, &[], false);
        assert_eq!(t.params[0].value, "us-ascii");
    }
}
