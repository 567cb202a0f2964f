//! Typed server responses and their encoding (RFC 3501 §7, RFC 9051 §7 where extensions apply).
//!
//! Invariant: `encode` writes exactly one complete response, CRLF-terminated, with every string
//! quoted or sent as a literal per [`mod@write`]; response text never contains CR or LF. FETCH
//! responses with large body sections are written in pieces through [`fetch::FetchWriter`].

pub mod body;
pub mod code;
pub mod fetch;
pub mod write;

use super::command::StatusItem;
use super::flag::Flag;
use super::mailbox::SEPARATOR;
pub use code::Code;
pub use fetch::{FetchItem, FetchWriter, SectionName};

/// Encoding options fixed per session.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeOptions {
    /// UTF8=ACCEPT is enabled (RFC 6855): UTF-8 in quoted strings and mailbox names.
    pub utf8: bool,
}

/// Tagged and untagged status conditions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
    /// Untagged only (greeting).
    PreAuth,
    /// Untagged only.
    Bye,
}

impl Status {
    fn as_wire(self) -> &'static [u8] {
        match self {
            Status::Ok => b"OK",
            Status::No => b"NO",
            Status::Bad => b"BAD",
            Status::PreAuth => b"PREAUTH",
            Status::Bye => b"BYE",
        }
    }
}

/// One LIST/LSUB/XLIST entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// Attributes with backslash (`\HasChildren`, `\Sent`, `\Subscribed`).
    pub attributes: Vec<String>,
    /// Store path (UTF-8, `/`-separated).
    pub path: String,
    /// RFC 5258 `CHILDINFO ("SUBSCRIBED")` extended item.
    pub child_info_subscribed: bool,
}

/// ESEARCH response data (RFC 4731 §3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Esearch {
    pub tag: Option<String>,
    pub uid: bool,
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub count: Option<u32>,
    /// The `ALL` result as a compact sequence set (empty means omitted).
    pub all: Option<String>,
    pub modseq: Option<u64>,
}

/// Untagged data responses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    Capability(Vec<String>),
    Exists(u32),
    Recent(u32),
    Expunge(u32),
    Flags(Vec<Flag>),
    List(ListEntry),
    Lsub(ListEntry),
    Xlist(ListEntry),
    Status {
        path: String,
        items: Vec<(StatusItem, u64)>,
    },
    /// `* SEARCH n n ... [(MODSEQ m)]`.
    Search {
        nums: Vec<u32>,
        modseq: Option<u64>,
    },
    Esearch(Esearch),
    Enabled(Vec<String>),
    /// `* ID NIL` or field/value pairs.
    Id(Option<Vec<(String, Option<String>)>>),
    /// One personal namespace with our separator; other users' and shared are NIL.
    Namespace {
        personal_prefix: String,
    },
    /// `* QUOTA root (resource usage limit ...)` (RFC 9208 §5.1).
    Quota {
        root: String,
        resources: Vec<(String, u64, u64)>,
    },
    QuotaRoot {
        path: String,
        roots: Vec<String>,
    },
}

/// A complete response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    Tagged {
        tag: String,
        status: Status,
        code: Option<Code>,
        text: String,
    },
    /// `* OK/NO/BAD/PREAUTH/BYE [code] text`.
    Condition {
        status: Status,
        code: Option<Code>,
        text: String,
    },
    Data(Data),
    /// `+ text`.
    Continue(String),
    /// `+ base64` (SASL challenges; empty gives `+ `).
    ContinueData(Vec<u8>),
}

impl Response {
    pub fn tagged(tag: &str, status: Status, code: Option<Code>, text: &str) -> Self {
        Response::Tagged {
            tag: tag.to_owned(),
            status,
            code,
            text: text.to_owned(),
        }
    }

    /// Appends the encoded response to `out`.
    pub fn encode(&self, out: &mut Vec<u8>, opts: EncodeOptions) {
        match self {
            Response::Tagged {
                tag,
                status,
                code,
                text,
            } => {
                out.extend_from_slice(tag.as_bytes());
                out.push(b' ');
                condition(out, *status, code.as_ref(), text);
            }
            Response::Condition { status, code, text } => {
                out.extend_from_slice(b"* ");
                condition(out, *status, code.as_ref(), text);
            }
            Response::Data(d) => {
                out.extend_from_slice(b"* ");
                data(out, d, opts);
            }
            Response::Continue(text) => {
                out.extend_from_slice(b"+ ");
                write::text(out, text);
            }
            Response::ContinueData(b) => {
                use base64::Engine;
                out.extend_from_slice(b"+ ");
                out.extend_from_slice(
                    base64::engine::general_purpose::STANDARD
                        .encode(b)
                        .as_bytes(),
                );
            }
        }
        out.extend_from_slice(b"\r\n");
    }

    /// The encoded bytes (convenience for tests and small responses).
    pub fn to_bytes(&self, opts: EncodeOptions) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out, opts);
        out
    }
}

fn condition(out: &mut Vec<u8>, status: Status, code: Option<&Code>, text: &str) {
    out.extend_from_slice(status.as_wire());
    if let Some(c) = code {
        out.push(b' ');
        c.encode(out);
    }
    // RFC 3501 §9: resp-text needs text; an empty one would be ambiguous for some clients.
    out.push(b' ');
    write::text(out, if text.is_empty() { "done" } else { text });
}

fn words(out: &mut Vec<u8>, ws: &[String]) {
    for w in ws {
        out.push(b' ');
        out.extend_from_slice(w.as_bytes());
    }
}

fn data(out: &mut Vec<u8>, d: &Data, opts: EncodeOptions) {
    let utf8 = opts.utf8;
    let num = |out: &mut Vec<u8>, n: u32, what: &str| {
        out.extend_from_slice(format!("{n} {what}").as_bytes())
    };
    match d {
        Data::Capability(caps) => {
            out.extend_from_slice(b"CAPABILITY");
            words(out, caps);
        }
        Data::Exists(n) => num(out, *n, "EXISTS"),
        Data::Recent(n) => num(out, *n, "RECENT"),
        Data::Expunge(n) => num(out, *n, "EXPUNGE"),
        Data::Flags(flags) => {
            out.extend_from_slice(b"FLAGS ");
            code::flag_list(out, flags);
        }
        Data::List(e) => list(out, b"LIST", e, utf8),
        Data::Lsub(e) => list(out, b"LSUB", e, utf8),
        Data::Xlist(e) => list(out, b"XLIST", e, utf8),
        Data::Status { path, items } => {
            out.extend_from_slice(b"STATUS ");
            write::mailbox_name(out, path, utf8);
            out.extend_from_slice(b" (");
            for (i, (item, v)) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(format!("{} {v}", item.as_wire()).as_bytes());
            }
            out.push(b')');
        }
        Data::Search { nums, modseq } => {
            out.extend_from_slice(b"SEARCH");
            for n in nums {
                out.extend_from_slice(format!(" {n}").as_bytes());
            }
            if let Some(m) = modseq {
                out.extend_from_slice(format!(" (MODSEQ {m})").as_bytes());
            }
        }
        Data::Esearch(e) => esearch(out, e),
        Data::Enabled(caps) => {
            out.extend_from_slice(b"ENABLED");
            words(out, caps);
        }
        Data::Id(None) => out.extend_from_slice(b"ID NIL"),
        Data::Id(Some(pairs)) => {
            out.extend_from_slice(b"ID (");
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write::string(out, k.as_bytes(), utf8);
                out.push(b' ');
                write::nstring(out, v.as_deref().map(str::as_bytes), utf8);
            }
            out.push(b')');
        }
        Data::Namespace { personal_prefix } => {
            out.extend_from_slice(b"NAMESPACE ((");
            write::string(out, personal_prefix.as_bytes(), utf8);
            out.extend_from_slice(format!(" \"{SEPARATOR}\")) NIL NIL").as_bytes());
        }
        Data::Quota { root, resources } => {
            out.extend_from_slice(b"QUOTA ");
            write::astring(out, root.as_bytes(), utf8);
            out.extend_from_slice(b" (");
            for (i, (name, usage, limit)) in resources.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                out.extend_from_slice(format!("{name} {usage} {limit}").as_bytes());
            }
            out.push(b')');
        }
        Data::QuotaRoot { path, roots } => {
            out.extend_from_slice(b"QUOTAROOT ");
            write::mailbox_name(out, path, utf8);
            for r in roots {
                out.push(b' ');
                write::astring(out, r.as_bytes(), utf8);
            }
        }
    }
}

fn list(out: &mut Vec<u8>, verb: &[u8], e: &ListEntry, utf8: bool) {
    out.extend_from_slice(verb);
    out.extend_from_slice(b" (");
    out.extend_from_slice(e.attributes.join(" ").as_bytes());
    out.extend_from_slice(format!(") \"{SEPARATOR}\" ").as_bytes());
    write::mailbox_name(out, &e.path, utf8);
    if e.child_info_subscribed {
        out.extend_from_slice(b" (\"CHILDINFO\" (\"SUBSCRIBED\"))");
    }
}

fn esearch(out: &mut Vec<u8>, e: &Esearch) {
    out.extend_from_slice(b"ESEARCH");
    if let Some(t) = &e.tag {
        out.extend_from_slice(b" (TAG ");
        write::quoted(out, t.as_bytes());
        out.push(b')');
    }
    if e.uid {
        out.extend_from_slice(b" UID");
    }
    let mut kv = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            out.extend_from_slice(format!(" {k} {v}").as_bytes());
        }
    };
    kv("MIN", e.min.map(|n| n.to_string()));
    kv("MAX", e.max.map(|n| n.to_string()));
    kv("COUNT", e.count.map(|n| n.to_string()));
    // RFC 4731 §3.1: ALL is omitted when nothing matched.
    kv("ALL", e.all.clone().filter(|s| !s.is_empty()));
    kv("MODSEQ", e.modseq.map(|n| n.to_string()));
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
