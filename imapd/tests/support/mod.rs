//! A minimal blocking IMAP client and corpus helpers for the differential tests against Dovecot.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use eider_imapd::fetch::Partial;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod canon;
pub mod session;
pub mod value;

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

    /// APPENDs every message to `mailbox` with LITERAL+ (no round trip per message), `date`
    /// and `flags` (`"(\\Seen)"`, empty for none) on each; returns each one's APPENDUID, `None`
    /// for a refused message. Sent in batches so neither side's socket buffer fills up.
    pub fn append_all(
        &mut self,
        mailbox: &str,
        flags: &str,
        date: &str,
        msgs: &[Vec<u8>],
    ) -> Vec<Option<u32>> {
        let each: Vec<(&str, &[u8])> = msgs.iter().map(|m| (date, &m[..])).collect();
        self.append_each(mailbox, flags, &each)
    }

    /// [`Imap::append_all`] with a date (`date-time` with quotes, or empty) per message.
    pub fn append_each(
        &mut self,
        mailbox: &str,
        flags: &str,
        msgs: &[(&str, &[u8])],
    ) -> Vec<Option<u32>> {
        let mut out = Vec::new();
        for batch in msgs.chunks(20) {
            let mut tags = Vec::new();
            for &(date, m) in batch {
                self.n += 1;
                let tag = format!("t{}", self.n);
                let mut c = format!("{tag} APPEND {mailbox}");
                for extra in [flags, date] {
                    if !extra.is_empty() {
                        c = format!("{c} {extra}");
                    }
                }
                let mut c = format!("{c} {{{}+}}\r\n", m.len()).into_bytes();
                c.extend_from_slice(m);
                c.extend_from_slice(b"\r\n");
                self.w.write_all(&c).unwrap();
                tags.push(tag);
            }
            for tag in tags {
                let (_, tagged) = self.finish(&tag);
                let t = String::from_utf8_lossy(&tagged);
                out.push(
                    t.find("APPENDUID ")
                        .and_then(|i| t[i..].split([' ', ']']).nth(2)?.parse().ok()),
                );
            }
        }
        // A session with the mailbox selected learns of the new messages (EXISTS) only at
        // its next command; UID FETCH of a UID it does not know yet answers nothing.
        self.cmd(b"NOOP");
        out
    }

    /// Dovecot's answers to `UID FETCH uid BODY.PEEK[section]<partial>` for several sections,
    /// sent pipelined (one round trip): `None` for NIL.
    pub fn sections(
        &mut self,
        uid: u32,
        specs: &[(String, Option<Partial>)],
    ) -> Vec<Option<Vec<u8>>> {
        let mut tags = Vec::new();
        let mut out = Vec::new();
        for (spec, partial) in specs {
            self.n += 1;
            let tag = format!("t{}", self.n);
            let p = partial.map_or(String::new(), |p| format!("<{}.{}>", p.start, p.len));
            out.extend_from_slice(
                format!("{tag} UID FETCH {uid} BODY.PEEK[{spec}]{p}\r\n").as_bytes(),
            );
            tags.push((tag, spec.clone()));
        }
        self.w.write_all(&out).unwrap();
        // Dovecot may run pipelined FETCHes together and send their data before their tags
        // (RFC 3501 §5.5): pool the responses and match them by section name.
        let mut pool: std::collections::HashMap<String, Option<Vec<u8>>> = Default::default();
        for (tag, spec) in &tags {
            let (untagged, tagged) = self.finish(tag);
            assert!(
                tagged.windows(3).any(|w| w == b"OK "),
                "{spec}: {}",
                String::from_utf8_lossy(&tagged)
            );
            for r in &untagged {
                for (k, v) in value::fetch_items(r).map(|f| f.1).unwrap_or_default() {
                    let v = match v {
                        value::V::Str(b) => Some(b),
                        _ => None,
                    };
                    pool.insert(k.to_ascii_uppercase(), v);
                }
            }
        }
        specs
            .iter()
            .map(|(spec, partial)| {
                let p = partial.map_or(String::new(), |p| format!("<{}>", p.start));
                let key = format!("BODY[{}]{p}", spec.to_ascii_uppercase());
                pool.get(&key).cloned().flatten()
            })
            .collect()
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

/// The corpus directory, if present (else skipped, or a failure under `EIDER_REQUIRE_ALL=1`).
pub fn corpus() -> Option<PathBuf> {
    let dir = eider_tests::corpus_dir();
    eider_tests::require("corpus (../shared/corpus or EIDER_CORPUS)", dir.is_some());
    dir
}

/// The corpus fixtures (`fixtures/`, the hard MIME cases) as CRLF messages an IMAP server can
/// take: (path relative to the corpus, bytes). Empty files, files with NUL bytes (not allowed in
/// an APPEND literal, RFC 3501 §4.3) and files over 2 MB are left out.
pub fn fixture_messages(corpus: &Path) -> Vec<(String, Vec<u8>)> {
    let mut paths = Vec::new();
    files(&corpus.join("fixtures"), &mut paths);
    paths
        .into_iter()
        .filter_map(|p| {
            let raw = normalise(&std::fs::read(&p).ok()?);
            let name = p.strip_prefix(corpus).unwrap_or(&p).display().to_string();
            (!raw.is_empty() && raw.len() <= 2_000_000 && !raw.contains(&0)).then_some((name, raw))
        })
        .collect()
}

/// Where the reference Dovecot listens, if there is one.
///
/// `EIDER_TEST_DOVECOT_IMAP=host:port` names a running instance (CI's `.ci/dovecot.sh` starts
/// one and exports it). Without it, the shared test script `../shared/tools/dovecot-up.sh` (next
/// to the workspace) is run once if it and `dovecot` exist; it is idempotent and listens on
/// 127.0.0.1:10143. Otherwise the test is skipped with a message, or fails under
/// `EIDER_REQUIRE_ALL=1` (see `eider_tests::require`).
pub fn dovecot_addr() -> Option<String> {
    static ADDR: OnceLock<Result<String, String>> = OnceLock::new();
    let found = ADDR.get_or_init(|| {
        if let Ok(a) =
            std::env::var("EIDER_TEST_DOVECOT_IMAP").or_else(|_| std::env::var("EIDER_DOVECOT"))
        {
            return Ok(a);
        }
        let script = eider_tests::workspace_root().join("../shared/tools/dovecot-up.sh");
        if !script.is_file() {
            return Err(format!(
                "Dovecot (EIDER_TEST_DOVECOT_IMAP unset and no {})",
                script.display()
            ));
        }
        if !eider_tests::have_command("dovecot") {
            return Err(
                "Dovecot (not installed: apt-get install dovecot-core dovecot-imapd dovecot-lmtpd)"
                    .into(),
            );
        }
        // Dovecot daemonises and keeps its inherited descriptors: never capture its output.
        let ok = std::process::Command::new("bash")
            .arg(&script)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            Ok("127.0.0.1:10143".into())
        } else {
            Err(format!("Dovecot ({} failed)", script.display()))
        }
    });
    match found {
        Ok(a) => Some(a.clone()),
        Err(why) => {
            eider_tests::require(why, false);
            None
        }
    }
}

/// A logged-in Dovecot session as `user` (each test binary uses its own user so that they can
/// run side by side), or `None` (skipped) when there is no Dovecot.
pub fn dovecot_as(user: &str) -> Option<Imap> {
    let addr = dovecot_addr()?;
    let mut imap = None;
    // Just started: give it a moment to listen.
    for _ in 0..50 {
        imap = Imap::connect(&addr);
        if imap.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let Some(mut imap) = imap else {
        eider_tests::require(&format!("Dovecot at {addr}"), false);
        return None;
    };
    let (_, t) = imap.cmd(format!("LOGIN {user} pass").as_bytes());
    assert!(
        t.windows(4).any(|w| w == b" OK "),
        "Dovecot login: {}",
        String::from_utf8_lossy(&t)
    );
    Some(imap)
}

/// A logged-in session on a fresh, selected [`MAILBOX`], if Dovecot is reachable.
pub fn dovecot(user: &str) -> Option<Imap> {
    let mut imap = dovecot_as(user)?;
    imap.cmd(format!("DELETE {MAILBOX}").as_bytes());
    imap.cmd(format!("CREATE {MAILBOX}").as_bytes());
    imap.cmd(format!("SELECT {MAILBOX}").as_bytes());
    Some(imap)
}

/// The message files used by the differential tests: all fixtures and every 40th SpamAssassin
/// message, sorted.
pub fn corpus_files(corpus: &Path) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    files(&corpus.join("fixtures"), &mut paths);
    let mut sa = Vec::new();
    files(&corpus.join("spamassassin"), &mut sa);
    paths.extend(sa.into_iter().step_by(40));
    paths
}
