//! ENVELOPE, BODY and BODYSTRUCTURE rendering from the stored model (RFC 3501 §7.4.2).
//!
//! Invariants: output follows the `envelope` / `body` grammar of RFC 3501 §9 for every model
//! value, including degenerate ones (a multipart without children gets a placeholder text part,
//! since `body-type-mpart` needs at least one body). Header-derived text (subject, display
//! names, descriptions, parameter values) is sent as UTF-8 when UTF8=ACCEPT is on (RFC 6855 §3)
//! and otherwise downgraded to RFC 2047 encoded words ([`write::downgrade`]); address local parts
//! and domains cannot be downgraded and go as literals when they are not ASCII.

use super::write;
use eider_model::{Envelope, EnvelopeAddress, Param, Part};

/// Writes `ENVELOPE`'s value: `(date subject from sender reply-to to cc bcc in-reply-to
/// message-id)`.
pub fn envelope(out: &mut Vec<u8>, env: &Envelope, utf8: bool) {
    out.push(b'(');
    write::nstring(out, env.date.as_deref(), utf8);
    out.push(b' ');
    write::header_nstring(out, env.subject.as_deref(), utf8);
    // RFC 3501 §7.4.2: the server defaults sender and reply-to to from.
    let sender = if env.sender.is_empty() {
        &env.from
    } else {
        &env.sender
    };
    let reply_to = if env.reply_to.is_empty() {
        &env.from
    } else {
        &env.reply_to
    };
    for list in [&env.from, sender, reply_to, &env.to, &env.cc, &env.bcc] {
        out.push(b' ');
        addresses(out, list, utf8);
    }
    out.push(b' ');
    write::nstring(out, env.in_reply_to.as_deref(), utf8);
    out.push(b' ');
    write::nstring(out, env.message_id.as_deref(), utf8);
    out.push(b')');
}

fn addresses(out: &mut Vec<u8>, list: &[EnvelopeAddress], utf8: bool) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        write::header_nstring(out, a.name.as_deref(), utf8);
        out.push(b' ');
        write::nstring(out, a.adl.as_deref(), utf8);
        out.push(b' ');
        write::nstring(out, a.mailbox.as_deref(), utf8);
        out.push(b' ');
        write::nstring(out, a.host.as_deref(), utf8);
        out.push(b')');
    }
    out.push(b')');
}

/// Writes `BODY` (non-extensible, `extensible == false`) or `BODYSTRUCTURE`.
pub fn body(out: &mut Vec<u8>, part: &Part, extensible: bool, utf8: bool) {
    if part.media_type == "multipart" {
        multipart(out, part, extensible, utf8);
    } else {
        single(out, part, extensible, utf8);
    }
}

fn multipart(out: &mut Vec<u8>, part: &Part, ext: bool, utf8: bool) {
    out.push(b'(');
    if part.children.is_empty() {
        single(out, &placeholder(), ext, utf8);
    }
    for child in &part.children {
        body(out, child, ext, utf8);
    }
    out.push(b' ');
    s(out, &part.media_subtype, utf8);
    if ext {
        // body-ext-mpart = body-fld-param [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
        out.push(b' ');
        params(out, &part.params, utf8);
        out.push(b' ');
        disposition(out, part, utf8);
        out.push(b' ');
        language(out, &part.language, utf8);
        out.push(b' ');
        ns(out, part.location.as_deref(), utf8);
    }
    out.push(b')');
}

/// An empty text/plain part, standing in for the missing children of a broken multipart or the
/// unparsed message of a message/rfc822 part.
fn placeholder() -> Part {
    Part {
        media_type: "text".into(),
        media_subtype: "plain".into(),
        params: vec![Param {
            name: "charset".into(),
            value: "us-ascii".into(),
        }],
        encoding: "7bit".into(),
        ..Part::default()
    }
}

fn single(out: &mut Vec<u8>, part: &Part, ext: bool, utf8: bool) {
    out.push(b'(');
    s(out, &part.media_type, utf8);
    out.push(b' ');
    s(out, &part.media_subtype, utf8);
    out.push(b' ');
    // RFC 2046 §4.1.2: a text part without a charset parameter is US-ASCII; say so, as Dovecot
    // does, so that clients need not know the default.
    if part.media_type.eq_ignore_ascii_case("text")
        && !part
            .params
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case("charset"))
    {
        let mut ps = part.params.clone();
        ps.push(Param {
            name: "charset".into(),
            value: "us-ascii".into(),
        });
        params(out, &ps, utf8);
    } else {
        params(out, &part.params, utf8);
    }
    out.push(b' ');
    ns(out, part.content_id.as_deref(), utf8);
    out.push(b' ');
    write::header_nstring(out, part.description.as_deref().map(str::as_bytes), utf8);
    out.push(b' ');
    s(
        out,
        if part.encoding.is_empty() {
            "7bit"
        } else {
            &part.encoding
        },
        utf8,
    );
    let size = part.body_end.saturating_sub(part.body_start);
    out.extend_from_slice(format!(" {size}").as_bytes());
    // RFC 9051 §9 media-message also covers message/global (RFC 6532).
    let is_message =
        part.media_type == "message" && matches!(part.media_subtype.as_str(), "rfc822" | "global");
    match (&part.message, part.media_type.as_str()) {
        (Some(m), _) if is_message => {
            // body-type-msg = media-message SP body-fields SP envelope SP body SP body-fld-lines
            out.push(b' ');
            envelope(out, &m.envelope, utf8);
            out.push(b' ');
            body(out, &m.root, ext, utf8);
            out.extend_from_slice(format!(" {}", part.body_lines).as_bytes());
        }
        (None, _) if is_message => {
            // body-type-msg needs an envelope and a body even when the encapsulated message
            // was not parsed (a base64 message/rfc822, which RFC 2046 §5.2.1 forbids): an
            // empty envelope and an empty text part, as Dovecot sends, so parsers expecting
            // the message form do not break.
            out.extend_from_slice(b" (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ");
            body(out, &placeholder(), ext, utf8);
            out.extend_from_slice(format!(" {}", part.body_lines).as_bytes());
        }
        (_, "text") => out.extend_from_slice(format!(" {}", part.body_lines).as_bytes()),
        _ => {}
    }
    if ext {
        // body-ext-1part = body-fld-md5 [SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc]]]
        out.push(b' ');
        ns(out, part.md5.as_deref(), utf8);
        out.push(b' ');
        disposition(out, part, utf8);
        out.push(b' ');
        language(out, &part.language, utf8);
        out.push(b' ');
        ns(out, part.location.as_deref(), utf8);
    }
    out.push(b')');
}

fn s(out: &mut Vec<u8>, v: &str, utf8: bool) {
    write::string(out, v.as_bytes(), utf8);
}

fn ns(out: &mut Vec<u8>, v: Option<&str>, utf8: bool) {
    write::nstring(out, v.map(str::as_bytes), utf8);
}

/// body-fld-param: `("name" "value" ...)` or NIL.
fn params(out: &mut Vec<u8>, ps: &[Param], utf8: bool) {
    if ps.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, p) in ps.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        s(out, &p.name, utf8);
        out.push(b' ');
        write::header_nstring(out, Some(p.value.as_bytes()), utf8);
    }
    out.push(b')');
}

/// body-fld-dsp: `("attachment" params)` or NIL.
fn disposition(out: &mut Vec<u8>, part: &Part, utf8: bool) {
    let Some(d) = &part.disposition else {
        out.extend_from_slice(b"NIL");
        return;
    };
    out.push(b'(');
    s(out, d, utf8);
    out.push(b' ');
    params(out, &part.disposition_params, utf8);
    out.push(b')');
}

/// body-fld-lang: NIL, one string, or a list.
fn language(out: &mut Vec<u8>, langs: &[String], utf8: bool) {
    match langs {
        [] => out.extend_from_slice(b"NIL"),
        [one] => s(out, one, utf8),
        many => {
            out.push(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                s(out, l, utf8);
            }
            out.push(b')');
        }
    }
}

#[cfg(test)]
#[path = "body_tests.rs"]
mod tests;
