//! Test helpers: drive a [`Receiver`] with input split every way and collect owned events.

use super::command::{AppendHeader, Command, CommandBody};
use super::error::ReceiveError;
use super::receiver::{Limits, Progress, Receiver};

/// An owned record of one `Progress` value (adjacent APPEND data pieces are merged).
#[derive(Debug, PartialEq, Eq, Clone)]
pub enum Ev {
    NeedsLiteral(u64),
    Cmd(Command),
    Append(AppendHeader),
    Data(Vec<u8>),
    End,
    Raw(Vec<u8>),
    Err(ReceiveError),
}

/// How the fake session answers literal announcements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Accept,
    /// Reject every APPEND at its header (as for `NO [TRYCREATE]`).
    RejectAppend,
}

pub fn drain(r: &mut Receiver, evs: &mut Vec<Ev>, policy: Policy) {
    loop {
        match r.next() {
            Progress::NeedMore => return,
            Progress::NeedsLiteral { size } => {
                evs.push(Ev::NeedsLiteral(size));
                r.accept_literal();
            }
            Progress::Append(h) => {
                let sync = h.synchronizing;
                evs.push(Ev::Append(h));
                match policy {
                    Policy::Accept if sync => r.accept_literal(),
                    Policy::Accept => {}
                    Policy::RejectAppend => r.reject_literal(),
                }
            }
            Progress::AppendData(d) => {
                assert!(!d.is_empty(), "empty AppendData");
                if let Some(Ev::Data(v)) = evs.last_mut() {
                    v.extend_from_slice(d);
                } else {
                    evs.push(Ev::Data(d.to_vec()));
                }
            }
            Progress::AppendEnd => evs.push(Ev::End),
            Progress::Command(c) => {
                let idle = c.body == CommandBody::Idle;
                let auth = matches!(&c.body, CommandBody::Authenticate(a) if a.initial.is_none());
                evs.push(Ev::Cmd(c));
                if idle || auth {
                    r.read_raw_line();
                }
            }
            Progress::RawLine(l) => evs.push(Ev::Raw(l)),
            Progress::Error(e) => evs.push(Ev::Err(e)),
        }
    }
}

/// Feeds `chunks` in order, draining after each.
pub fn run_chunks(chunks: &[&[u8]], limits: Limits, policy: Policy) -> Vec<Ev> {
    let mut r = Receiver::new(limits);
    let mut evs = Vec::new();
    for c in chunks {
        r.feed(c);
        drain(&mut r, &mut evs, policy);
    }
    evs
}

/// Runs `input` all at once, byte by byte, and split in two at every position; asserts all
/// agree and returns the events.
pub fn run_all_splits(input: &[u8], limits: Limits, policy: Policy) -> Vec<Ev> {
    let whole = run_chunks(&[input], limits, policy);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        run_chunks(&bytes, limits, policy),
        whole,
        "byte by byte: {:?}",
        String::from_utf8_lossy(input)
    );
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        assert_eq!(
            run_chunks(&[a, b], limits, policy),
            whole,
            "split at {i}: {:?}",
            String::from_utf8_lossy(input)
        );
    }
    whole
}

/// Parses one command line (CRLF added) through the receiver under every split.
pub fn parse_line(line: &str) -> Result<CommandBody, ReceiveError> {
    let input = format!("{line}\r\n");
    let mut evs = run_all_splits(input.as_bytes(), Limits::default(), Policy::Accept);
    evs.retain(|e| !matches!(e, Ev::NeedsLiteral(_)));
    match evs.as_slice() {
        [Ev::Cmd(c)] => Ok(c.body.clone()),
        [Ev::Err(e)] => Err(e.clone()),
        other => panic!("{line}: unexpected events {other:?}"),
    }
}
