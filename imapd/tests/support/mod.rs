//! A minimal blocking IMAP client and corpus helpers for the differential tests against Dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use eider_imapd::fetch::Partial;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

pub const MAILBOX: &str = "imapview-cmp";

/// One response: its text and its literals.
pub type Resp = (Vec<u8>, Vec<Vec<u8>>);

pub struct Imap {
    r: BufReader<TcpStream>,
    w: TcpStream,
    n: u32,
}

impl Imap {
    pub fn connect(addr: &str) -> Option<Self> {
        let s = TcpStream::connect(addr).ok()?;
        let mut me = Imap {
            r: BufReader::new(s.try_clone().ok()?),
            w: s,
            n: 0,
        };
        me.line();
        Some(me)
    }

    pub fn line(&mut self) -> Vec<u8> {
        let mut l = Vec::new();
        self.r.read_until(b'\n', &mut l).unwrap();
        l
    }

    /// One response with its literals inlined as (text, literals).
    pub fn response(&mut self) -> Resp {
        let mut text = Vec::new();
        let mut lits = Vec::new();
        loop {
            let l = self.line();
            text.extend_from_slice(&l);
            let t = l.strip_suffix(b"}\r\n");
            let Some(t) = t else { return (text, lits) };
            let open = t.iter().rposition(|&b| b == b'{').unwrap();
            let n: usize = std::str::from_utf8(&t[open + 1..])
                .unwrap()
                .parse()
                .unwrap();
            let mut buf = vec![0; n];
            self.r.read_exact(&mut buf).unwrap();
            lits.push(buf);
        }
    }

    /// Sends a command, returns (untagged responses, tagged line).
    pub fn cmd(&mut self, c: &[u8]) -> (Vec<Resp>, Vec<u8>) {
        self.n += 1;
        let tag = format!("t{}", self.n);
        self.w.write_all(format!("{tag} ").as_bytes()).unwrap();
        self.w.write_all(c).unwrap();
        self.w.write_all(b"\r\n").unwrap();
        self.finish(&tag)
    }

    pub fn finish(&mut self, tag: &str) -> (Vec<Resp>, Vec<u8>) {
        let mut untagged = Vec::new();
        loop {
            let r = self.response();
            if r.0.starts_with(tag.as_bytes()) {
                return (untagged, r.0);
            }
            untagged.push(r);
        }
    }

    pub fn append(&mut self, msg: &[u8]) -> Option<u32> {
        self.append_dated(msg, None)
    }

    /// APPEND with an optional `date-time` (`"01-Jan-2024 10:00:00 +0200"`, quotes included).
    pub fn append_dated(&mut self, msg: &[u8], date: Option<&str>) -> Option<u32> {
        self.n += 1;
        let tag = format!("t{}", self.n);
        let date = date.map_or(String::new(), |d| format!("{d} "));
        self.w
            .write_all(format!("{tag} APPEND {MAILBOX} {date}{{{}}}\r\n", msg.len()).as_bytes())
            .unwrap();
        let l = self.line();
        if !l.starts_with(b"+") {
            return None;
        }
        self.w.write_all(msg).unwrap();
        self.w.write_all(b"\r\n").unwrap();
        let (_, tagged) = self.finish(&tag);
        let t = String::from_utf8_lossy(&tagged);
        let i = t.find("APPENDUID ")?;
        t[i..].split([' ', ']']).nth(2)?.parse().ok()
    }

    /// Dovecot's answer to `UID FETCH uid BODY.PEEK[section]<partial>`: `None` for NIL.
    pub fn section(&mut self, uid: u32, spec: &str, partial: Option<Partial>) -> Option<Vec<u8>> {
        let p = partial.map_or(String::new(), |p| format!("<{}.{}>", p.start, p.len));
        let (untagged, tagged) =
            self.cmd(format!("UID FETCH {uid} BODY.PEEK[{spec}]{p}").as_bytes());
        assert!(
            tagged.windows(3).any(|w| w == b"OK "),
            "{spec}: {}",
            String::from_utf8_lossy(&tagged)
        );
        let (text, mut lits) = untagged
            .into_iter()
            .find(|(t, _)| t.windows(6).any(|w| w == b" FETCH"))?;
        if let Some(l) = lits.pop() {
            return Some(l);
        }
        let t = String::from_utf8_lossy(&text);
        let after = &t[t.find("BODY[")?..];
        let v = after[after.find("] ")? + 2..].trim_start();
        if v.starts_with("NIL") {
            None
        } else if let Some(q) = v.strip_prefix('"') {
            Some(q.as_bytes()[..q.find('"')?].to_vec())
        } else {
            panic!("unparsed FETCH answer {t}")
        }
    }
}

pub fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
        } else if !p
            .extension()
            .is_some_and(|e| e == "json" || e == "txt" || e == "md")
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains("COPYING"))
        {
            out.push(p);
        }
    }
}

/// CRLF line ends (what IMAP carries), without an mbox `From ` line.
pub fn normalise(raw: &[u8]) -> Vec<u8> {
    let raw = if raw.starts_with(b"From ") {
        raw.iter()
            .position(|&b| b == b'\n')
            .map_or(&raw[..0], |i| &raw[i + 1..])
    } else {
        raw
    };
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' && (i == 0 || raw[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// The corpus directory, if present.
pub fn corpus() -> Option<PathBuf> {
    let dir = std::env::var("EIDER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!("skipped: corpus not found at {}", dir.display());
        None
    }
}

/// A logged-in session on a fresh, selected [`MAILBOX`], if Dovecot is reachable.
pub fn dovecot() -> Option<Imap> {
    let addr = std::env::var("EIDER_DOVECOT").unwrap_or_else(|_| "127.0.0.1:10143".into());
    let Some(mut imap) = Imap::connect(&addr) else {
        println!("skipped: no Dovecot at {addr}");
        return None;
    };
    imap.cmd(b"LOGIN testuser97 pass");
    imap.cmd(format!("DELETE {MAILBOX}").as_bytes());
    imap.cmd(format!("CREATE {MAILBOX}").as_bytes());
    imap.cmd(format!("SELECT {MAILBOX}").as_bytes());
    Some(imap)
}

/// The message files used by the differential tests: all fixtures and every 20th SpamAssassin
/// message, sorted.
pub fn corpus_files(corpus: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    files(&corpus.join("fixtures"), &mut paths);
    let mut sa = Vec::new();
    files(&corpus.join("spamassassin"), &mut sa);
    paths.extend(sa.into_iter().step_by(20));
    paths
}
