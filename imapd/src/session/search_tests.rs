use super::*;
use crate::proto::command::{self, CommandBody};

struct Msg {
    msn: u32,
    uid: u32,
    flags: Flags,
    recent: bool,
    internal: UnixTime,
    tz: i16,
    sent: Option<UnixTime>,
    size: u64,
    modseq: u64,
    headers: Vec<HeaderField>,
    body: String,
}

impl SearchFacts for Msg {
    fn msn(&self) -> u32 {
        self.msn
    }
    fn uid(&self) -> u32 {
        self.uid
    }
    fn flags(&self) -> &Flags {
        &self.flags
    }
    fn recent(&self) -> bool {
        self.recent
    }
    fn internal_date(&self) -> UnixTime {
        self.internal
    }
    fn internal_tz_minutes(&self) -> i16 {
        self.tz
    }
    fn sent_date(&self) -> Option<UnixTime> {
        self.sent
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn modseq(&self) -> u64 {
        self.modseq
    }
    fn headers(&self) -> &[HeaderField] {
        &self.headers
    }
    fn body_contains(&self, needle: &str) -> bool {
        self.body.to_lowercase().contains(needle)
    }
}

fn h(name: &str, value: &str) -> HeaderField {
    HeaderField {
        name: name.into(),
        value: value.into(),
    }
}

/// 1994-02-01 12:00 UTC.
const FEB1: i64 = 760_104_000;

fn msg() -> Msg {
    let mut flags = Flags::default();
    flags.system.0 = SystemFlags::SEEN | SystemFlags::FLAGGED;
    flags.keywords.insert("$Label1".into());
    Msg {
        msn: 2,
        uid: 20,
        flags,
        recent: true,
        internal: FEB1,
        tz: 0,
        sent: Some(FEB1 - 86_400),
        size: 1500,
        modseq: 7,
        headers: vec![
            h("from", "Alice Example <alice@example.org>"),
            h("to", "bob@example.net"),
            h("subject", "Grüße aus Köln"),
            h("x-spam", "no"),
        ],
        body: "The Quick brown fox".into(),
    }
}

fn criteria(s: &str) -> Vec<SearchKey> {
    match command::parse(format!("t SEARCH {s}").as_bytes())
        .unwrap()
        .body
    {
        CommandBody::Search(q) => q.criteria,
        other => panic!("{other:?}"),
    }
}

#[test]
fn keys_table() {
    let m = msg();
    let saved = [20u32, 30];
    let ctx = SearchContext {
        max_msn: 5,
        max_uid: 40,
        now: FEB1 + 3600,
        saved: &saved,
    };
    let cases = [
        ("ALL", true),
        ("SEEN FLAGGED", true),
        ("UNSEEN", false),
        ("ANSWERED", false),
        ("UNANSWERED UNDELETED UNDRAFT", true),
        ("DELETED", false),
        ("RECENT", true),
        ("NEW", false),
        ("OLD", false),
        ("KEYWORD $label1", true),
        ("UNKEYWORD $Label1", false),
        ("KEYWORD other", false),
        ("FROM ALICE", true),
        ("FROM bob", false),
        ("TO example.net", true),
        ("CC x", false),
        ("SUBJECT \"grüße\"", true),
        ("SUBJECT köln", true),
        ("HEADER X-Spam \"\"", true),
        ("HEADER X-Other \"\"", false),
        ("HEADER x-spam NO", true),
        ("BODY quick", true),
        ("BODY slow", false),
        ("TEXT alice", true),
        ("TEXT fox", true),
        ("BEFORE 1-Feb-1994", false),
        ("ON 1-Feb-1994", true),
        ("SINCE 2-Feb-1994", false),
        ("SINCE 1-Feb-1994", true),
        ("SENTON 31-Jan-1994", true),
        ("SENTBEFORE 1-Feb-1994", true),
        ("SENTSINCE 1-Feb-1994", false),
        ("LARGER 1499 SMALLER 1501", true),
        ("LARGER 1500", false),
        ("OLDER 3600", true),
        ("OLDER 3601", false),
        ("YOUNGER 3600", true),
        ("YOUNGER 60", false),
        ("MODSEQ 7", true),
        ("MODSEQ 8", false),
        ("UID 20", true),
        ("UID 21:*", false),
        ("UID 50:*", false),
        ("2", true),
        ("3:*", false),
        ("$", true),
        ("UID $", true),
        ("NOT SEEN", false),
        ("OR UNSEEN FROM alice", true),
        ("OR UNSEEN DELETED", false),
        ("(SEEN (FROM alice TO bob))", true),
        ("NOT (SEEN DELETED)", true),
    ];
    for (q, want) in cases {
        assert_eq!(matches_all(&criteria(q), &m, &ctx), want, "{q}");
    }
    // The internal date's day depends on its zone: 12:00 UTC is the next day at +1300.
    let east = Msg {
        tz: 13 * 60,
        ..msg()
    };
    assert!(matches_all(&criteria("ON 2-Feb-1994"), &east, &ctx));
    let undated = Msg {
        sent: None,
        ..msg()
    };
    assert!(!matches_all(
        &criteria("SENTBEFORE 1-Jan-2100"),
        &undated,
        &ctx
    ));
}

#[test]
fn esearch_results() {
    use SearchReturn::*;
    let e = esearch("A1", true, &[Min, Max, Count, All], &[2, 3, 4, 9], Some(12));
    assert_eq!(
        e,
        Esearch {
            tag: Some("A1".into()),
            uid: true,
            min: Some(2),
            max: Some(9),
            count: Some(4),
            all: Some("2:4,9".into()),
            modseq: Some(12)
        }
    );
    let none = esearch("A2", false, &[Min, Count, All], &[], None);
    assert_eq!(
        (none.min, none.count, none.all.as_deref()),
        (None, Some(0), Some(""))
    );
    let saved = esearch("A3", false, &[Save], &[1], None);
    assert_eq!((saved.min, saved.count, saved.all), (None, None, None));
}
