//! Normalised transcripts for the scripted differential sessions: each response becomes one
//! line that keeps what a client acts on (tags, status, response codes, untagged data) and drops
//! what legitimately differs between two correct servers (see docs/imap.md, "Differential
//! testing against Dovecot").

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use super::value::{V, fetch_items, parse};
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
                // Mod-sequences are the server's own numbers too (RFC 7162 §3.1.1 only orders
                // them).
                "UIDVALIDITY" | "APPENDUID" | "COPYUID" | "HIGHESTMODSEQ" if w.len() > 1 => {
                    w[1] = "*"
                }
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
                "UIDVALIDITY" | "HIGHESTMODSEQ" => V::Atom("*".into()),
                "MODSEQ" => V::List(vec![V::Atom("*".into())]),
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
        // The correlator is the command's tag, which differs between the two clients.
        (Some("ESEARCH"), _) if v.get(2).and_then(V::list).is_some() => {
            v[2] = V::List(vec![V::Atom("TAG".into()), V::Str(b"tag".to_vec())])
        }
        _ => {}
    }
    Some(
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// All untagged responses of one command, normalised; FETCH responses for the same message
/// (with no EXPUNGE in between) are merged into one, since a server may split a message's data
/// over several (RFC 3501 §7.4.2) and a client sees the union.
pub fn normalise_all(resps: &[Resp]) -> Vec<String> {
    // Ok: a normalised line; Err: a FETCH still collecting its items.
    type Entry = Result<String, (u32, Vec<(String, V)>)>;
    let mut out: Vec<Entry> = Vec::new();
    for r in resps {
        if let Some((n, items)) = fetch_items(r) {
            let earlier = out.iter_mut().rev().find_map(|o| match o {
                Err((m, its)) if *m == n => Some(Some(its)),
                Ok(l) if l.ends_with(" EXPUNGE") => Some(None),
                _ => None,
            });
            if let Some(Some(its)) = earlier {
                for (k, v) in items {
                    its.retain(|(k2, _)| !k2.eq_ignore_ascii_case(&k));
                    its.push((k, v));
                }
                continue;
            }
            out.push(Err((n, items)));
        } else if let Some(l) = normalise(r) {
            out.push(Ok(l));
        }
    }
    out.into_iter()
        .map(|o| match o {
            Ok(l) => l,
            Err((n, items)) => {
                let list = V::List(
                    items
                        .into_iter()
                        .flat_map(|(k, v)| [V::Atom(k), v])
                        .collect(),
                );
                format!("* {n} FETCH {}", pairs(&list))
            }
        })
        .collect()
}
