//! Receiver tables: framing, literals, LITERAL+/-, limits, APPEND streaming and resync, each
//! input fed whole, byte by byte and split at every position (see `testkit`).

use super::literal::literal_suffix;
use super::*;
use crate::proto::command;
use crate::proto::command::{CommandBody, Login};
use crate::proto::datetime::DateTime;
use crate::proto::flag::Flag;
use crate::proto::mailbox::RawMailbox;
use crate::proto::testkit::{Ev, Policy, run_all_splits, run_chunks};

fn cmd(tag: &str, body: CommandBody) -> Ev {
    Ev::Cmd(Command {
        tag: tag.into(),
        body,
    })
}

fn err(tag: Option<&str>, kind: ErrorKind) -> Ev {
    Ev::Err(ReceiveError {
        tag: tag.map(Into::into),
        kind,
    })
}

fn login(u: &[u8], p: &[u8]) -> CommandBody {
    CommandBody::Login(Login {
        username: u.to_vec(),
        password: p.to_vec(),
    })
}

fn header(tag: &str, mailbox: &str, size: u64, sync: bool) -> AppendHeader {
    AppendHeader {
        tag: tag.into(),
        mailbox: RawMailbox(mailbox.as_bytes().to_vec()),
        flags: vec![],
        date: None,
        literal_size: size,
        synchronizing: sync,
        utf8: false,
        binary: false,
    }
}

fn noop(tag: &str) -> Ev {
    cmd(tag, CommandBody::Noop)
}

#[test]
fn framing_table() {
    let big = "x".repeat(5000);
    let with_big = format!("a LOGIN {{5000+}}\r\n{big} pass\r\nb NOOP\r\n");
    let big_append = format!("a APPEND INBOX {{5000+}}\r\n{big}\r\nb NOOP\r\n");
    let mut dated = header("a", "INBOX", 5, true);
    dated.flags = vec![Flag::Seen];
    dated.date = Some(DateTime {
        unix: 1_577_836_800,
        tz_minutes: 0,
    });
    let mut utf8 = header("a", "INBOX", 3, true);
    utf8.utf8 = true;
    utf8.binary = true;
    let cases: Vec<(&str, &[u8], Vec<Ev>)> = vec![
        ("simple", b"a NOOP\r\n", vec![noop("a")]),
        ("two", b"a NOOP\r\nb NOOP\r\n", vec![noop("a"), noop("b")]),
        ("bare LF", b"a NOOP\n", vec![noop("a")]),
        ("blank lines", b"\r\n\r\na NOOP\r\n", vec![noop("a")]),
        ("trailing space", b"a NOOP \r\n", vec![noop("a")]),
        (
            "sync literals",
            b"a LOGIN {4}\r\nuser {4}\r\npass\r\n",
            vec![
                Ev::NeedsLiteral(4),
                Ev::NeedsLiteral(4),
                cmd("a", login(b"user", b"pass")),
            ],
        ),
        (
            "literal with CRLF inside",
            b"a LOGIN {6}\r\nu\r\nser pass\r\n",
            vec![Ev::NeedsLiteral(6), cmd("a", login(b"u\r\nser", b"pass"))],
        ),
        (
            "LITERAL+",
            b"a LOGIN {4+}\r\nuser {4+}\r\npass\r\n",
            vec![cmd("a", login(b"user", b"pass"))],
        ),
        (
            "empty literal",
            b"a LOGIN {0}\r\n x\r\n",
            vec![Ev::NeedsLiteral(0), cmd("a", login(b"", b"x"))],
        ),
        (
            "LITERAL- over 4096 is skipped",
            with_big.as_bytes(),
            vec![
                err(
                    Some("a"),
                    ErrorKind::NonSyncLiteralTooLarge {
                        size: 5000,
                        in_append: false,
                    },
                ),
                noop("b"),
            ],
        ),
        (
            "sync literal too large",
            b"a LOGIN {100000}\r\nb NOOP\r\n",
            vec![
                err(
                    Some("a"),
                    ErrorKind::LiteralTooLarge {
                        size: 100_000,
                        max: 65536,
                    },
                ),
                noop("b"),
            ],
        ),
        (
            "unknown command",
            b"a FOO\r\nb NOOP\r\n",
            vec![err(Some("a"), ErrorKind::UnknownCommand), noop("b")],
        ),
        (
            "no tag",
            b"\x01\r\nb NOOP\r\n",
            vec![err(None, ErrorKind::Syntax("missing tag")), noop("b")],
        ),
        (
            "tag only",
            b"a\r\n",
            vec![err(None, ErrorKind::Syntax("expected space"))],
        ),
        (
            "bad args",
            b"a NOOP x\r\nb NOOP\r\n",
            vec![
                err(Some("a"), ErrorKind::Syntax("unexpected trailing data")),
                noop("b"),
            ],
        ),
        (
            "literal8 outside APPEND",
            b"a LOGIN ~{4}\r\nb NOOP\r\n",
            vec![
                err(Some("a"), ErrorKind::Syntax("literal8 not allowed here")),
                noop("b"),
            ],
        ),
        (
            "append sync",
            b"a APPEND INBOX (\\Seen) \" 1-Jan-2020 00:00:00 +0000\" {5}\r\nhello\r\nb NOOP\r\n",
            vec![
                Ev::Append(dated),
                Ev::Data(b"hello".to_vec()),
                Ev::End,
                noop("b"),
            ],
        ),
        (
            "append non-sync",
            b"a APPEND INBOX {5+}\r\nhello\r\n",
            vec![
                Ev::Append(header("a", "INBOX", 5, false)),
                Ev::Data(b"hello".to_vec()),
                Ev::End,
            ],
        ),
        (
            "append data looks like commands",
            b"a APPEND INBOX {12}\r\nb NOOP {3}\r\n\r\nc NOOP\r\n",
            vec![
                Ev::Append(header("a", "INBOX", 12, true)),
                Ev::Data(b"b NOOP {3}\r\n".to_vec()),
                Ev::End,
                noop("c"),
            ],
        ),
        (
            "append literal mailbox",
            b"a APPEND {5}\r\nINBOX {3}\r\nabc\r\n",
            vec![
                Ev::NeedsLiteral(5),
                Ev::Append(header("a", "INBOX", 3, true)),
                Ev::Data(b"abc".to_vec()),
                Ev::End,
            ],
        ),
        (
            "append UTF8",
            b"a APPEND INBOX UTF8 (~{3}\r\nabc)\r\n",
            vec![Ev::Append(utf8.clone()), Ev::Data(b"abc".to_vec()), Ev::End],
        ),
        (
            "append UTF8 missing paren",
            b"a APPEND INBOX UTF8 (~{3}\r\nabc\r\nb NOOP\r\n",
            vec![
                Ev::Append(utf8),
                Ev::Data(b"abc".to_vec()),
                err(
                    Some("a"),
                    ErrorKind::Syntax("expected ) after UTF8 literal"),
                ),
                noop("b"),
            ],
        ),
        (
            "append trailing space",
            b"a APPEND INBOX {3}\r\nabc \r\n",
            vec![
                Ev::Append(header("a", "INBOX", 3, true)),
                Ev::Data(b"abc".to_vec()),
                Ev::End,
            ],
        ),
        (
            "multiappend refused, literal skipped",
            b"a APPEND INBOX {3}\r\nabc INBOX {2+}\r\nxy\r\nb NOOP\r\n",
            vec![
                Ev::Append(header("a", "INBOX", 3, true)),
                Ev::Data(b"abc".to_vec()),
                err(
                    Some("a"),
                    ErrorKind::Syntax("unexpected data after APPEND message"),
                ),
                noop("b"),
            ],
        ),
        (
            "append LITERAL- too large",
            big_append.as_bytes(),
            vec![
                err(
                    Some("a"),
                    ErrorKind::NonSyncLiteralTooLarge {
                        size: 5000,
                        in_append: true,
                    },
                ),
                noop("b"),
            ],
        ),
        (
            "append empty message",
            b"a APPEND INBOX {0}\r\n\r\n",
            vec![Ev::Append(header("a", "INBOX", 0, true)), Ev::End],
        ),
        (
            "idle",
            b"a IDLE\r\nDONE\r\nb NOOP\r\n",
            vec![
                cmd("a", CommandBody::Idle),
                Ev::Raw(b"DONE".to_vec()),
                noop("b"),
            ],
        ),
    ];
    for (name, input, want) in cases {
        let got = run_all_splits(input, Limits::default(), Policy::Accept);
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn limits_table() {
    let small = Limits {
        max_line: 20,
        max_append: 10,
        max_literal: 8,
        max_command: 40,
        literal_plus: true,
    };
    let big_nonsync = format!("a LOGIN {{5000+}}\r\n{} x\r\nb NOOP\r\n", "y".repeat(5000));
    let cases: Vec<(&str, Vec<u8>, Vec<Ev>)> = vec![
        (
            "line too long",
            b"a NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxx\r\nb NOOP\r\n".to_vec(),
            vec![err(Some("a"), ErrorKind::LineTooLong), noop("b")],
        ),
        (
            "append too large",
            b"a APPEND INBOX {11}\r\nb NOOP\r\n".to_vec(),
            vec![
                err(Some("a"), ErrorKind::AppendTooLarge { size: 11, max: 10 }),
                noop("b"),
            ],
        ),
        (
            "append too large non-sync is skipped",
            b"a APPEND INBOX {11+}\r\n01234567890\r\nb NOOP\r\n".to_vec(),
            vec![
                err(Some("a"), ErrorKind::AppendTooLarge { size: 11, max: 10 }),
                noop("b"),
            ],
        ),
        (
            "literal over max_literal",
            big_nonsync.into_bytes(),
            vec![
                err(Some("a"), ErrorKind::LiteralTooLarge { size: 5000, max: 8 }),
                noop("b"),
            ],
        ),
        (
            "too long line announcing LITERAL+: its bytes are skipped",
            b"a LOGIN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx {6+}\r\nb NOOP\r\nc NOOP\r\n".to_vec(),
            vec![err(Some("a"), ErrorKind::LineTooLong), noop("c")],
        ),
        (
            "command too long across literals",
            b"a LOGIN {8+}\r\n12345678 {8+}\r\n12345678 {8+}\r\n12345678\r\nb NOOP\r\n".to_vec(),
            vec![err(Some("a"), ErrorKind::CommandTooLong), noop("b")],
        ),
    ];
    for (name, input, want) in cases {
        let got = run_all_splits(&input, small, Policy::Accept);
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn append_rejected_before_data() {
    let got = run_all_splits(
        b"a APPEND Nope {5}\r\nb NOOP\r\n",
        Limits::default(),
        Policy::RejectAppend,
    );
    assert_eq!(
        got,
        vec![Ev::Append(header("a", "Nope", 5, true)), noop("b")]
    );
    // A non-synchronising message is already on its way: it is skipped silently, tail and all.
    let got = run_all_splits(
        b"a APPEND Nope {12+}\r\nc NOOP\r\nxx\r\n junk\r\nb NOOP\r\n",
        Limits::default(),
        Policy::RejectAppend,
    );
    assert_eq!(
        got,
        vec![Ev::Append(header("a", "Nope", 12, false)), noop("b")]
    );
}

#[test]
fn append_streams_without_buffering() {
    let mut r = Receiver::new(Limits::default());
    r.feed(b"a APPEND INBOX {30000}\r\n");
    assert!(matches!(r.next(), Progress::Append(h) if h.literal_size == 30000));
    assert_eq!(r.next(), Progress::NeedMore);
    r.accept_literal();
    let chunk = vec![b'm'; 1000];
    for _ in 0..30 {
        r.feed(&chunk);
        assert_eq!(r.next(), Progress::AppendData(&chunk[..]));
        assert_eq!(r.next(), Progress::NeedMore);
        // What was yielded is dropped: the buffer never holds more than about one chunk.
        assert!(
            r.buf.len() <= 2 * chunk.len(),
            "buffer grew to {}",
            r.buf.len()
        );
    }
    r.feed(b"\r\nb NOOP\r\n");
    assert_eq!(r.next(), Progress::AppendEnd);
    assert!(matches!(r.next(), Progress::Command(c) if c.tag == "b"));
}

#[test]
fn shrink_releases_consumed_buffers_only() {
    // After a large command is consumed, shrink frees its buffers; a partial command survives.
    let mut r = Receiver::new(Limits::default());
    let long = format!("a SEARCH {}\r\n", vec!["SEEN"; 5000].join(" "));
    r.feed(long.as_bytes());
    assert!(matches!(r.next(), Progress::Command(c) if c.tag == "a"));
    assert_eq!(r.next(), Progress::NeedMore);
    assert!(r.buf.capacity() > 8 * 1024);
    r.shrink();
    assert_eq!((r.buf.capacity(), r.cmd.capacity()), (0, 0));
    r.feed(b"b NO");
    r.shrink();
    r.feed(b"OP\r\n");
    assert!(matches!(r.next(), Progress::Command(c) if c.tag == "b"));
}

#[test]
fn literal_waits_for_accept_and_buffered_rest() {
    let mut r = Receiver::new(Limits::default());
    r.feed(b"a LOGIN {4}\r\n");
    assert_eq!(r.next(), Progress::NeedsLiteral { size: 4 });
    // Until the session sends `+`, nothing more is decided.
    r.feed(b"user pass\r\n");
    assert_eq!(r.next(), Progress::NeedMore);
    r.accept_literal();
    assert!(matches!(r.next(), Progress::Command(_)));
    r.feed(b"a STARTTLS\r\n\x16\x03\x01");
    assert!(matches!(r.next(), Progress::Command(c) if c.body == CommandBody::StartTls));
    assert_eq!(r.take_buffered(), b"\x16\x03\x01");
    assert_eq!(r.next(), Progress::NeedMore);
}

#[test]
fn authenticate_continuation() {
    let got = run_chunks(
        &[b"a AUTHENTICATE PLAIN\r\nAHVzZXIAcGFzcw==\r\nb NOOP\r\n"],
        Limits::default(),
        Policy::Accept,
    );
    assert_eq!(got.len(), 3);
    assert_eq!(got[1], Ev::Raw(b"AHVzZXIAcGFzcw==".to_vec()));
    assert_eq!(got[2], noop("b"));
}

#[test]
fn literal_suffix_table() {
    type Want = Option<(usize, u64, bool, bool)>;
    let cases: &[(&[u8], Want)] = &[
        (b"a {5}", Some((2, 5, false, false))),
        (b"a {5+}", Some((2, 5, true, false))),
        (b"a ~{5}", Some((2, 5, false, true))),
        (b"a {}", None),
        (b"a {+}", None),
        (b"a {x}", None),
        (b"a {99999999999999999999}", None),
        (b"a \"{5}\"", None),
    ];
    for (line, want) in cases {
        let got = literal_suffix(line).map(|l| (l.start, l.size, l.nonsync, l.binary));
        assert_eq!(got, *want, "{}", String::from_utf8_lossy(line));
    }
}

/// A small deterministic generator, so the robustness test needs no extra crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn random_input_never_panics_and_recovers() {
    const ALPHABET: &[u8] =
        b"aA1 ()[]{}<>\"\\+~*%$:.,\r\n\r\n0123456789 APPEND FETCH BODY[ NIL UID {5}\r\n";
    let mut rng = Lcg(42);
    for _ in 0..2000 {
        let len = (rng.next() % 80) as usize;
        let input: Vec<u8> = (0..len)
            .map(|_| ALPHABET[(rng.next() as usize) % ALPHABET.len()])
            .collect();
        let _ = command::parse(&input);
        let limits = Limits {
            max_line: 40,
            max_literal: 16,
            max_command: 64,
            max_append: 32,
            literal_plus: false,
        };
        let mut r = Receiver::new(limits);
        let mut pos = 0;
        while pos < input.len() {
            let n = 1 + (rng.next() as usize) % 7;
            let end = (pos + n).min(input.len());
            r.feed(&input[pos..end]);
            pos = end;
            loop {
                match r.next() {
                    Progress::NeedMore => break,
                    Progress::NeedsLiteral { .. } => r.accept_literal(),
                    Progress::Append(h) if h.synchronizing => r.accept_literal(),
                    _ => {}
                }
            }
        }
        // Whatever state the garbage left, a client that finishes its literal (at most 32 bytes)
        // and line gets a fresh command parsed.
        r.feed(&[b'x'; 40]);
        r.feed(b"\r\nz NOOP\r\n");
        let mut saw = false;
        loop {
            match r.next() {
                Progress::NeedMore => break,
                Progress::Command(c) if c.tag == "z" => saw = true,
                Progress::NeedsLiteral { .. } => r.accept_literal(),
                Progress::Append(h) if h.synchronizing => r.accept_literal(),
                _ => {}
            }
        }
        assert!(
            saw,
            "no recovery after {:?}",
            String::from_utf8_lossy(&input)
        );
    }
}

/// The bytes Python's imaplib sent in a broad session (see tests/fixtures/capture_imaplib.py):
/// everything parses, under every split, and the APPEND messages come through intact.
#[test]
fn imaplib_transcript() {
    let input = include_bytes!("../../../tests/fixtures/imaplib_session.bin");
    let evs = run_all_splits(input, Limits::default(), Policy::Accept);
    let errors: Vec<_> = evs.iter().filter(|e| matches!(e, Ev::Err(_))).collect();
    assert!(errors.is_empty(), "{errors:?}");
    let verbs: Vec<&str> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Cmd(c) => Some(c.body.name()),
            Ev::Append(_) => Some("APPEND"),
            _ => None,
        })
        .collect();
    assert_eq!(verbs.len(), 39, "{verbs:?}");
    assert_eq!(verbs.iter().filter(|v| **v == "APPEND").count(), 2);
    let data: Vec<&Vec<u8>> = evs
        .iter()
        .filter_map(|e| match e {
            Ev::Data(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(
        data[0].as_slice(),
        b"From: a@example.org\r\nSubject: hi {5}\r\n\r\nbody line\r\n.\r\n"
    );
    assert_eq!(data[1].as_slice(), vec![b'x'; 5000].as_slice());
    let raw: Vec<&Ev> = evs.iter().filter(|e| matches!(e, Ev::Raw(_))).collect();
    assert_eq!(
        raw,
        [
            &Ev::Raw(b"AGFsaWNlAHNlIGNyZXQ=".to_vec()),
            &Ev::Raw(b"DONE".to_vec())
        ]
    );
    assert!(evs.contains(&cmd("JOGM1", login(b"bob", b"pa \"ss\\word"))));
}
