//! Differential check of FETCH body sections against Dovecot, the reference server.
//!
//! For every corpus message (fixtures, plus a slice of the SpamAssassin set): ingest it into an
//! embedded store with the real splitter, enumerate its part paths, and compare
//! `fetch::read_section` with what Dovecot answers for `BODY.PEEK[section]` (part bodies, MIME
//! headers, HEADER/TEXT of encapsulated messages, HEADER.FIELDS(.NOT), partials).
//!
//! Needs a running Dovecot (`../shared/tools/dovecot-up.sh`; `EIDER_DOVECOT=host:port`, default
//! 127.0.0.1:10143, user `testuser97`/`pass`) and the corpus; ignored by default:
//! `cargo test -p eider-imapd --test fetch_vs_dovecot -- --ignored --nocapture`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use eider_common::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_common::ingest::prepare_message;
use eider_common::mime::Limits;
use eider_common::model::{MessageSummary, Part, StoredMessage};
use eider_common::types::{MailboxId, ModSeq, ThreadId, Uid};
use eider_imapd::fetch::{FetchError, Partial, Section, SectionPart, read_section};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

const MAILBOX: &str = "imapview-cmp";

/// One response: its text and its literals.
type Resp = (Vec<u8>, Vec<Vec<u8>>);

struct Imap {
    r: BufReader<TcpStream>,
    w: TcpStream,
    n: u32,
}

impl Imap {
    fn connect(addr: &str) -> Option<Self> {
        let s = TcpStream::connect(addr).ok()?;
        let mut me = Imap {
            r: BufReader::new(s.try_clone().ok()?),
            w: s,
            n: 0,
        };
        me.line();
        Some(me)
    }

    fn line(&mut self) -> Vec<u8> {
        let mut l = Vec::new();
        self.r.read_until(b'\n', &mut l).unwrap();
        l
    }

    /// One response with its literals inlined as (text, literals).
    fn response(&mut self) -> Resp {
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
    fn cmd(&mut self, c: &[u8]) -> (Vec<Resp>, Vec<u8>) {
        self.n += 1;
        let tag = format!("t{}", self.n);
        self.w.write_all(format!("{tag} ").as_bytes()).unwrap();
        self.w.write_all(c).unwrap();
        self.w.write_all(b"\r\n").unwrap();
        self.finish(&tag)
    }

    fn finish(&mut self, tag: &str) -> (Vec<Resp>, Vec<u8>) {
        let mut untagged = Vec::new();
        loop {
            let r = self.response();
            if r.0.starts_with(tag.as_bytes()) {
                return (untagged, r.0);
            }
            untagged.push(r);
        }
    }

    fn append(&mut self, msg: &[u8]) -> Option<u32> {
        self.n += 1;
        let tag = format!("t{}", self.n);
        self.w
            .write_all(format!("{tag} APPEND {MAILBOX} {{{}}}\r\n", msg.len()).as_bytes())
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
    fn section(&mut self, uid: u32, spec: &str, partial: Option<Partial>) -> Option<Vec<u8>> {
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

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
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
fn normalise(raw: &[u8]) -> Vec<u8> {
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

/// Every section spec worth asking about, with our parsed form.
fn specs(root: &Part) -> Vec<(String, Section, Option<Partial>)> {
    fn sec(part: &[u32], text: Option<SectionPart>) -> Section {
        Section {
            part: part.to_vec(),
            text,
        }
    }
    fn visit(p: &Part, path: Vec<u32>, out: &mut Vec<(Vec<u32>, bool)>) {
        out.push((path.clone(), p.message.is_some()));
        if p.media_type == "multipart" {
            for (i, c) in p.children.iter().enumerate() {
                let mut q = path.clone();
                q.push(i as u32 + 1);
                visit(c, q, out);
            }
        }
        if let Some(m) = &p.message {
            in_message(&m.root, &path, out);
        }
    }
    fn in_message(root: &Part, prefix: &[u32], out: &mut Vec<(Vec<u32>, bool)>) {
        if root.media_type == "multipart" {
            for (i, c) in root.children.iter().enumerate() {
                let mut q = prefix.to_vec();
                q.push(i as u32 + 1);
                visit(c, q, out);
            }
        } else {
            let mut q = prefix.to_vec();
            q.push(1);
            visit(root, q, out);
        }
    }
    let mut paths = Vec::new();
    in_message(root, &[], &mut paths);
    let fields = || vec!["SUBJECT".to_string(), "From".to_string()];
    let mut out = vec![
        (String::new(), sec(&[], None), None),
        ("HEADER".into(), sec(&[], Some(SectionPart::Header)), None),
        ("TEXT".into(), sec(&[], Some(SectionPart::Text)), None),
        (
            "HEADER.FIELDS (SUBJECT From)".into(),
            sec(&[], Some(SectionPart::HeaderFields(fields()))),
            None,
        ),
        (
            "HEADER.FIELDS.NOT (SUBJECT From)".into(),
            sec(&[], Some(SectionPart::HeaderFieldsNot(fields()))),
            None,
        ),
    ];
    for (path, is_msg) in paths.into_iter().take(40) {
        let p = path
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(".");
        out.push((p.clone(), sec(&path, None), None));
        out.push((
            p.clone(),
            sec(&path, None),
            Some(Partial { start: 3, len: 20 }),
        ));
        out.push((
            format!("{p}.MIME"),
            sec(&path, Some(SectionPart::Mime)),
            None,
        ));
        if is_msg {
            out.push((
                format!("{p}.HEADER"),
                sec(&path, Some(SectionPart::Header)),
                None,
            ));
            out.push((
                format!("{p}.TEXT"),
                sec(&path, Some(SectionPart::Text)),
                None,
            ));
            out.push((
                format!("{p}.HEADER.FIELDS (SUBJECT From)"),
                sec(&path, Some(SectionPart::HeaderFields(fields()))),
                None,
            ));
        }
    }
    out
}

#[tokio::test]
#[ignore = "needs Dovecot and the corpus: see the module doc"]
async fn fetch_sections_match_dovecot() {
    let corpus = std::env::var("EIDER_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if !corpus.is_dir() {
        println!("skipped: corpus not found at {}", corpus.display());
        return;
    }
    let addr = std::env::var("EIDER_DOVECOT").unwrap_or_else(|_| "127.0.0.1:10143".into());
    let Some(mut imap) = Imap::connect(&addr) else {
        println!("skipped: no Dovecot at {addr}");
        return;
    };
    imap.cmd(b"LOGIN testuser97 pass");
    imap.cmd(format!("DELETE {MAILBOX}").as_bytes());
    imap.cmd(format!("CREATE {MAILBOX}").as_bytes());
    imap.cmd(format!("SELECT {MAILBOX}").as_bytes());

    let mut paths = Vec::new();
    files(&corpus.join("fixtures"), &mut paths);
    let mut sa = Vec::new();
    files(&corpus.join("spamassassin"), &mut sa);
    paths.extend(sa.into_iter().step_by(20));

    let dir = tempfile::tempdir().unwrap();
    let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
    let (mut messages, mut compared, mut same, mut crlf_after_close) = (0, 0, 0, 0);
    let mut diffs: Vec<String> = Vec::new();
    for path in &paths {
        let raw = normalise(&std::fs::read(path).unwrap());
        if raw.is_empty() || raw.len() > 2_000_000 || raw.contains(&0) {
            continue;
        }
        let Ok(prepared) = prepare_message(&store, &raw[..], Limits::default()).await else {
            continue;
        };
        let Some(uid) = imap.append(&raw) else {
            continue;
        };
        messages += 1;
        let msg = StoredMessage {
            mailbox: MailboxId(1),
            summary: MessageSummary {
                uid: Uid(uid),
                modseq: ModSeq(1),
                flags: Default::default(),
                internal_date: 0,
                internal_tz_minutes: 0,
                size: prepared.size,
                thread: ThreadId(1),
            },
            segments: prepared.segments,
            sha256: prepared.sha256,
            meta: prepared.meta,
        };
        for (spec, section, partial) in specs(&msg.meta.root) {
            let theirs = imap.section(uid, &spec, partial);
            let ours = match read_section(&store, &msg, &section, partial).await {
                Ok(b) => Some(b),
                Err(FetchError::NoSuchPart | FetchError::NotMessage) => None,
                Err(e) => panic!("{}: {spec}: {e}", path.display()),
            };
            compared += 1;
            // Dovecot answers "" where we have no such part; both mean "nothing there".
            let norm = |v: &Option<Vec<u8>>| v.clone().filter(|b| !b.is_empty());
            if norm(&ours) == norm(&theirs) {
                same += 1;
            } else if let (Some(o), Some(t)) = (&ours, &theirs)
                && t.len() == o.len() + 2
                && t.starts_with(o)
                && t.ends_with(b"\r\n")
            {
                // Dovecot counts the CRLF after a nested close-delimiter into the enclosing
                // part's body; RFC 2046 gives it to the outer delimiter (the splitter's choice).
                crlf_after_close += 1;
            } else {
                let show = |v: &Option<Vec<u8>>| match v {
                    None => "NIL".to_string(),
                    Some(b) => format!(
                        "{} bytes {:?}",
                        b.len(),
                        String::from_utf8_lossy(&b[..b.len().min(60)])
                    ),
                };
                diffs.push(format!(
                    "{} [{spec}]{partial:?}: ours {} / dovecot {}",
                    path.strip_prefix(&corpus).unwrap_or(path).display(),
                    show(&ours),
                    show(&theirs)
                ));
            }
        }
    }
    imap.cmd(format!("DELETE {MAILBOX}").as_bytes());
    println!(
        "{messages} messages, {compared} sections compared, {same} identical, \
         {crlf_after_close} differing only by Dovecot's trailing CRLF after a close-delimiter, \
         {} other differences",
        diffs.len()
    );
    for d in diffs.iter().take(60) {
        println!("  {d}");
    }
    assert!(messages > 100, "too few messages compared");
    assert!(
        (same + crlf_after_close) * 100 >= compared * 99,
        "more than 1% of sections differ from Dovecot"
    );
}
