//! `GET /metrics` with every daemon in one process (as under `eider serve`): LMTP deliveries,
//! IMAP and POP3 sessions and API requests are made against daemons sharing the world's
//! registry, then the exposition is checked strictly (format) and for the exact counts.

#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
mod common;

use common::{Api, OP};
use eider_runtime::metrics::check::{self, Sample, sum};
use eider_tests::imap_client::ImapClient;
use eider_tests::lmtp_client::LmtpClient;
use reqwest::Method;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const MESSAGE: &[u8] =
    b"From: a@example.org\r\nTo: alice@example.test\r\nSubject: hi\r\n\r\nHello.\r\n";

/// The LMTP part: one delivery (plus one unknown recipient), one message over the size limit
/// sent without SIZE so that it is refused after its data.
async fn lmtp(addr: &str) {
    let mut c = LmtpClient::connect(addr).await.unwrap();
    let (rcpt, data) = c
        .deliver(
            "a@example.org",
            &["alice@example.test", "nobody@example.test"],
            MESSAGE,
        )
        .await
        .unwrap();
    assert_eq!((rcpt[0].code, rcpt[1].code / 100, data.len()), (250, 5, 1));
    assert_eq!(data[0].code, 250);
    c.send_line("MAIL FROM:<a@example.org>").await.unwrap();
    assert_eq!(c.reply().await.unwrap().code, 250);
    c.send_line("RCPT TO:<alice@example.test>").await.unwrap();
    assert_eq!(c.reply().await.unwrap().code, 250);
    c.send_line("DATA").await.unwrap();
    assert_eq!(c.reply().await.unwrap().code, 354);
    let big = format!("Subject: big\r\n\r\n{}\r\n.", "x".repeat(3000));
    c.send_line(&big).await.unwrap();
    assert_eq!(c.reply().await.unwrap().code, 552);
    c.quit().await.unwrap();
}

async fn imap(addr: &str) {
    let mut c = ImapClient::connect(addr).await.unwrap();
    assert!(!c.command("LOGIN alice wrong").await.unwrap().is_ok());
    assert!(c.command("LOGIN alice pw").await.unwrap().is_ok());
    assert!(c.command("SELECT INBOX").await.unwrap().is_ok());
    assert!(c.command("FETCH 1 (BODY[])").await.unwrap().is_ok());
    assert!(c.command("NOOP").await.unwrap().is_ok());
    let bad = c.command("FETCH").await.unwrap();
    assert!(bad.status.starts_with("BAD"), "{}", bad.status);
    assert!(c.command("LOGOUT").await.unwrap().is_ok());
}

async fn pop3(addr: &str) {
    let s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (rd, mut wr) = s.into_split();
    let mut rd = BufReader::new(rd);
    let mut line = String::new();
    rd.read_line(&mut line).await.unwrap();
    // (command, expected first reply byte); RETR's body is read up to the final dot.
    let script = [
        ("USER alice", '+'),
        ("PASS wrong", '-'),
        ("USER alice", '+'),
        ("PASS pw", '+'),
        ("STAT", '+'),
        ("RETR 1", '+'),
        ("QUIT", '+'),
    ];
    for (cmd, want) in script {
        wr.write_all(format!("{cmd}\r\n").as_bytes()).await.unwrap();
        line.clear();
        rd.read_line(&mut line).await.unwrap();
        assert!(line.starts_with(want), "{cmd}: {line}");
        if cmd.starts_with("RETR") {
            loop {
                line.clear();
                rd.read_line(&mut line).await.unwrap();
                if line == ".\r\n" {
                    break;
                }
            }
        }
    }
}

/// A sample's name, some of its labels, and the expected sum.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], f64);

fn one(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    assert!(
        samples.iter().any(|s| s.name == name && s.has(labels)),
        "no sample {name} {labels:?}"
    );
    sum(samples, name, labels)
}

#[tokio::test]
async fn metrics_show_every_daemon_of_the_process() {
    let api = Api::start_with(|c| c.limits.max_message_size = 2000).await;
    let w = &api.world;
    w.user("alice", "pw", &["alice@example.test"])
        .await
        .unwrap();
    let lmtp_addr = w.spawn(eider_ingest::run).await.unwrap().to_string();
    let imap_addr = w.spawn(eider_imapd::run).await.unwrap().to_string();
    let pop3_addr = w.spawn(eider_pop3d::run).await.unwrap().to_string();
    lmtp(&lmtp_addr).await;
    imap(&imap_addr).await;
    pop3(&pop3_addr).await;
    assert_eq!(api.get("/users", OP).await.status(), 200);
    let anon = api.req(Method::GET, "/metrics", None).send().await.unwrap();
    assert_eq!(anon.status(), 401);

    let r = api.get("/metrics", OP).await;
    assert_eq!(r.status(), 200);
    let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ctype, "text/plain; version=0.0.4");
    let text = r.text().await.unwrap();
    let s = check::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    // Every sample says where it comes from.
    assert!(
        s.iter()
            .all(|x| x.labels.contains_key("daemon") && x.labels.contains_key("instance"))
    );

    let cases: &[Case] = &[
        ("eider_lmtp_sessions_total", &[], 1.0),
        ("eider_lmtp_transactions_total", &[], 2.0),
        (
            "eider_lmtp_deliveries_total",
            &[("outcome", "delivered")],
            1.0,
        ),
        (
            "eider_lmtp_deliveries_total",
            &[("outcome", "rejected")],
            1.0,
        ),
        (
            "eider_lmtp_deliveries_total",
            &[("outcome", "temp_failed")],
            0.0,
        ),
        (
            "eider_lmtp_recipients_refused_total",
            &[("class", "permanent")],
            1.0,
        ),
        ("eider_lmtp_errors_total", &[("kind", "store")], 0.0),
        ("eider_lmtp_delivery_duration_seconds_count", &[], 2.0),
        (
            "eider_lmtp_delivery_duration_seconds_bucket",
            &[("le", "+Inf")],
            2.0,
        ),
        ("eider_imap_connections_total", &[], 1.0),
        ("eider_imap_auth_failures_total", &[], 1.0),
        (
            "eider_imap_commands_total",
            &[("command", "LOGIN"), ("result", "NO")],
            1.0,
        ),
        (
            "eider_imap_commands_total",
            &[("command", "LOGIN"), ("result", "OK")],
            1.0,
        ),
        (
            "eider_imap_commands_total",
            &[("command", "SELECT"), ("result", "OK")],
            1.0,
        ),
        (
            "eider_imap_commands_total",
            &[("command", "FETCH"), ("result", "OK")],
            1.0,
        ),
        ("eider_imap_commands_total", &[("result", "BAD")], 1.0),
        (
            "eider_imap_command_duration_seconds_count",
            &[("command", "LOGIN")],
            2.0,
        ),
        ("eider_imap_idle_sessions", &[], 0.0),
        ("eider_pop3_sessions_total", &[], 1.0),
        ("eider_pop3_auth_failures_total", &[], 1.0),
        (
            "eider_pop3_commands_total",
            &[("command", "USER"), ("result", "OK")],
            2.0,
        ),
        (
            "eider_pop3_commands_total",
            &[("command", "PASS"), ("result", "ERR")],
            1.0,
        ),
        (
            "eider_pop3_commands_total",
            &[("command", "PASS"), ("result", "OK")],
            1.0,
        ),
        (
            "eider_pop3_commands_total",
            &[("command", "RETR"), ("result", "OK")],
            1.0,
        ),
        (
            "eider_pop3_commands_total",
            &[("command", "QUIT"), ("result", "OK")],
            1.0,
        ),
        (
            "eider_api_requests_total",
            &[("route", "/users"), ("method", "GET"), ("status", "200")],
            1.0,
        ),
        (
            "eider_api_requests_total",
            &[("route", "/metrics"), ("status", "401")],
            1.0,
        ),
    ];
    for (name, labels, want) in cases {
        assert_eq!(one(&s, name, labels), *want, "{name} {labels:?}\n{text}");
    }
    // Byte counters: at least what the tests sent or fetched.
    let at_least: &[(&str, f64)] = &[
        (
            "eider_lmtp_received_bytes_total",
            (MESSAGE.len() + 3000) as f64,
        ),
        ("eider_imap_sent_bytes_total", MESSAGE.len() as f64),
        ("eider_imap_received_bytes_total", 60.0),
        ("eider_pop3_retrieved_bytes_total", MESSAGE.len() as f64),
        ("eider_store_commits_total", 2.0),
    ];
    for (name, min) in at_least {
        assert!(one(&s, name, &[]) >= *min, "{name} < {min}\n{text}");
    }
    assert!(text.contains("# TYPE eider_imap_command_duration_seconds histogram\n"));
    // What one process would publish to Redis (docs/scaling.md quotes the size).
    let json = serde_json::to_string(&w.metrics.registry().snapshot()).unwrap();
    println!("snapshot of all four daemons: {} bytes of JSON", json.len());
}

/// `GET /metrics` as parsed samples.
async fn scrape(api: &Api) -> Vec<Sample> {
    let text = api.get("/metrics", OP).await.text().await.unwrap();
    check::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[tokio::test]
async fn gauges_follow_idle_and_open_connections() {
    let api = Api::start().await;
    let w = &api.world;
    w.user("alice", "pw", &["alice@example.test"])
        .await
        .unwrap();
    let addr = w.spawn(eider_imapd::run).await.unwrap().to_string();
    let mut c = ImapClient::connect(&addr).await.unwrap();
    assert!(c.command("LOGIN alice pw").await.unwrap().is_ok());
    assert!(c.command("SELECT INBOX").await.unwrap().is_ok());
    c.send_raw(b"i1 IDLE\r\n").await.unwrap();
    let cont = c.read_line().await.unwrap();
    assert!(
        cont.starts_with(b"+ "),
        "{}",
        String::from_utf8_lossy(&cont)
    );
    let s = scrape(&api).await;
    assert_eq!(one(&s, "eider_imap_idle_sessions", &[]), 1.0);
    assert_eq!(one(&s, "eider_imap_connections", &[]), 1.0);
    c.send_raw(b"DONE\r\n").await.unwrap();
    assert!(c.until_tagged("i1").await.unwrap().is_ok());
    let s = scrape(&api).await;
    assert_eq!(one(&s, "eider_imap_idle_sessions", &[]), 0.0);
    let idle = [("command", "IDLE"), ("result", "OK")];
    assert_eq!(one(&s, "eider_imap_commands_total", &idle), 1.0);
    // IDLE's duration is the client's choice, not a response time.
    let timed = [("command", "IDLE")];
    assert!(
        !s.iter()
            .any(|x| x.name.starts_with("eider_imap_command_duration") && x.has(&timed))
    );
    assert!(c.command("LOGOUT").await.unwrap().is_ok());
    drop(c);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while one(&scrape(&api).await, "eider_imap_connections", &[]) != 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "connection gauge stays up"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
