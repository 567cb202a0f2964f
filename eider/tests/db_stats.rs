//! `eider db stats`: the embedded store's bytes by table, checked on a small store with a few
//! messages delivered through the ingest pipeline (one with an attachment stored as its own blob).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod support;

use eider_model::Flags;
use eider_store::ingest::prepare_message_deferred;
use serde_json::Value;
use support::Site;

fn message(n: usize) -> Vec<u8> {
    let attachment =
        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\r\n".repeat(200);
    format!(
        "From: a@example.org\r\nTo: alice@example.org\r\nSubject: message {n}\r\n\
         Message-ID: <m{n}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nhello number {n}\r\n\
         --b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         {attachment}--b--\r\n"
    )
    .into_bytes()
}

fn table<'a>(stats: &'a Value, name: &str) -> &'a Value {
    stats["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {stats}"))
}

#[test]
fn db_stats_counts_tables_and_bodies() {
    let site = Site::new();
    site.expect(0, &["user", "add", "alice", "--password", "pw"]);
    site.with_store(async |store| {
        let user = store.find_user("alice").await.unwrap().unwrap();
        let inbox = store.find_mailbox(user.id, "INBOX").await.unwrap().unwrap();
        for n in 0..3 {
            let raw = message(n);
            let prepared = prepare_message_deferred(store, &raw[..], eider_mime::Limits::default())
                .await
                .unwrap();
            let (msg, blobs) = prepared.into_message(Flags::default(), 1_700_000_000, 0);
            store.append_with_blobs(inbox.id, msg, blobs).await.unwrap();
        }
    });

    let stats = site.json(&["db", "stats", "--json"]);
    assert!(stats["file_bytes"].as_u64().unwrap() > 0, "{stats}");
    for name in ["summaries", "bodies"] {
        let t = table(&stats, name);
        assert_eq!(t["entries"], 3, "{name}: {t}");
        assert_eq!(t["key_bytes"], 3 * 12, "{name}: (u64, u32) keys: {t}");
        assert!(t["value_bytes"].as_u64().unwrap() > 0, "{name}: {t}");
        assert!(t["stored_bytes"].as_u64().unwrap() > 0, "{name}: {t}");
        assert!(t["leaf_pages"].as_u64().unwrap() > 0, "{name}: {t}");
        assert!(
            t["allocated_bytes"].as_u64().unwrap() >= t["stored_bytes"].as_u64().unwrap(),
            "{name}: {t}"
        );
    }
    // The same attachment three times is one blob; plus three skeletons and three texts.
    let blobs = table(&stats, "blobs");
    assert!(blobs["entries"].as_u64().unwrap() >= 2, "{blobs}");
    assert!(table(&stats, "chunks")["value_bytes"].as_u64().unwrap() > 0);
    assert_eq!(table(&stats, "users")["entries"], 1);
    assert_eq!(table(&stats, "mailboxes")["entries"], 6);
    assert_eq!(table(&stats, "uploads")["entries"], 0);
    assert_eq!(stats["tables"].as_array().unwrap().len(), 22);

    let bodies = &stats["bodies"];
    assert_eq!(bodies["records"], 3);
    assert_eq!(bodies["distinct_contents"], 3);
    assert_eq!(
        bodies["total_bytes"],
        table(&stats, "bodies")["value_bytes"]
    );
    let parts: u64 = [
        "segments_bytes",
        "part_tree_bytes",
        "envelope_bytes",
        "headers_bytes",
        "other_bytes",
    ]
    .iter()
    .map(|k| bodies[*k].as_u64().unwrap())
    .sum();
    assert_eq!(parts, bodies["total_bytes"].as_u64().unwrap(), "{bodies}");
    assert!(bodies["part_tree_bytes"].as_u64().unwrap() > 0);
    assert!(bodies["zstd_bytes"].as_u64().unwrap() > 0);

    // The attachment is one blob with three references; skeletons and texts differ per message.
    let roles = &stats["blobs"];
    assert_eq!(roles["attachment"]["blobs"], 1, "{roles}");
    assert_eq!(roles["attachment"]["references"], 3, "{roles}");
    assert_eq!(roles["attachment"]["decoded_bytes"], 200 * 54, "{roles}");
    assert!(
        roles["attachment"]["chunk_bytes"].as_u64().unwrap() > 0,
        "{roles}"
    );
    assert_eq!(roles["skeleton"]["blobs"], 3, "{roles}");
    assert_eq!(roles["text"]["blobs"], 3, "{roles}");
    assert_eq!(roles["unnamed"]["blobs"], 0, "{roles}");

    site.expect(0, &["db", "stats"])
        .stdout_has("TABLE")
        .stdout_has("bodies")
        .stdout_has("3 records")
        .stdout_has("attachment blobs: 1,");
}

#[test]
fn db_stats_refuses_mongodb() {
    let site = Site::new();
    let out = site
        .command(&["db", "stats"])
        .env("EIDER_STORE_BACKEND", "mongodb")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
