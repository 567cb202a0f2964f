//! Normalised transcripts for the scripted differential sessions: each response becomes one
//! line that keeps what a client acts on (tags, status, response codes, untagged data) and drops
//! what legitimately differs between two correct servers (see docs/imap.md, "Differential
//! testing against Dovecot").

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use super::value::{V, parse};
use super::{Resp, canon};

/// Status responses keep tag, status and response code; the human-readable text goes
/// (RFC 3501 §7.1: it is for people). Codes carrying a UIDVALIDITY have it replaced by `*`
/// (each server picks its own, RFC 3501 §2.3.1.1); CAPABILITY lists are dropped (two different
/// servers advertise different things).
fn status(line: &str) -> Option<String> {
    let mut words = line.splitn(3, ' ');
    let tag = words.next()?;
    let st = words.next()?;
    if !matches!(st, "OK" | "NO" | "BAD" | "BYE" | "PREAUTH") {
        return None;
    }
    let rest = words.next().unwrap_or("");
    let code = rest
        .strip_prefix('[')
        .and_then(|r| r.find(']').map(|e| &r[..e]))
        .map(|c| {
            let mut w: Vec<&str> = c.split(' ').collect();
            match w[0] {
                "UIDVALIDITY" | "APPENDUID" | "COPYUID" if w.len() > 1 => w[1] = "*",
                _ => {}
            }
            w.join(" ")
        })
        .filter(|c| !c.starts_with("CAPABILITY"));
    Some(match code {
        Some(c) => format!("{tag} {st} [{c}]"),
        None => format!("{tag} {st}"),
    })
}

fn sorted(v: &V) -> V {
    match v {
        V::List(l) => {
            let mut l: Vec<V> = l
                .iter()
                .map(|x| match x {
                    V::Atom(a) => V::Atom(a.to_ascii_uppercase()),
                    o => o.clone(),
                })
                .collect();
            l.sort();
            V::List(l)
        }
        o => o.clone(),
    }
}

/// `(K v K v ...)` with its pairs sorted by name (data item order is free, RFC 3501 §7.4.2 and
/// §7.2.4) and each value normalised.
fn pairs(v: &V) -> V {
    let Some(l) = v.list() else { return v.clone() };
    let mut ps: Vec<(String, V)> = l
        .chunks(2)
        .map(|kv| {
            let k = kv[0].atom().unwrap_or("?").to_ascii_uppercase();
            let val = kv.get(1).cloned().unwrap_or(V::Atom("?".into()));
            let val = match k.as_str() {
                "FLAGS" => sorted(&val),
                "INTERNALDATE" => canon::internaldate(&val),
                "UIDVALIDITY" => V::Atom("*".into()),
                "BODY" | "BODYSTRUCTURE" => canon::body(&val),
                _ => val,
            };
            (k, val)
        })
        .collect();
    ps.sort_by(|a, b| a.0.cmp(&b.0));
    V::List(ps.into_iter().flat_map(|(k, v)| [V::Atom(k), v]).collect())
}

/// One response as a comparable line, or `None` for responses left out of the comparison
/// (untagged CAPABILITY).
pub fn normalise(r: &Resp) -> Option<String> {
    let text = String::from_utf8_lossy(&r.0);
    let line = text.trim_end();
    if let Some(s) = status(line) {
        return Some(s);
    }
    let mut v = parse(r);
    let kind = |i: usize| v.get(i).and_then(V::atom).map(str::to_ascii_uppercase);
    match (kind(1).as_deref(), kind(2).as_deref()) {
        (Some("CAPABILITY"), _) => return None,
        (Some("FLAGS"), _) => v[2] = sorted(&v[2]),
        (Some("LIST" | "LSUB"), _) => v[2] = sorted(&v[2]),
        (Some("STATUS"), _) => {
            let last = v.len() - 1;
            v[last] = pairs(&v[last]);
        }
        (_, Some("FETCH")) => v[3] = pairs(&v[3]),
        _ => {}
    }
    Some(
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
