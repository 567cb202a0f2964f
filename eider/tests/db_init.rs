//! `eider db init`: creates the store's schema and nothing else, for both backends; an
//! unreachable MongoDB is a store failure (exit 4) within the selection timeout.

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};
use support::{Site, exists_nonempty};

#[test]
fn db_init_embedded_creates_the_store() {
    let site = Site::new();
    site.expect(0, &["db", "init"]).stdout_has("initialised");
    assert!(exists_nonempty(&site.data_dir()));
    // Idempotent.
    site.expect(0, &["db", "init"]);
    let users = site.json(&["user", "list", "--json"]);
    assert_eq!(users, serde_json::json!([]), "init creates no users");
}

#[test]
fn db_init_mongodb_unreachable_is_a_store_failure() {
    let site = Site::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let start = Instant::now();
    let out = site
        .command(&["db", "init"])
        .env("EIDER_STORE_BACKEND", "mongodb")
        .env("EIDER_MONGODB_URL", format!("mongodb://127.0.0.1:{port}"))
        .env("EIDER_MONGODB_SERVER_SELECTION_TIMEOUT_MS", "500")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("unavailable"), "{stderr}");
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn db_init_mongodb_creates_collections() {
    let Ok(url) = std::env::var("EIDER_TEST_MONGODB_URL") else {
        assert!(
            std::env::var("EIDER_REQUIRE_ALL").as_deref() != Ok("1"),
            "EIDER_TEST_MONGODB_URL not set, and EIDER_REQUIRE_ALL=1 forbids skipping"
        );
        println!("skipped: EIDER_TEST_MONGODB_URL not set");
        return;
    };
    let site = Site::new();
    let db = format!("eider_dbinit_{}", std::process::id());
    let out = site
        .command(&["db", "init"])
        .env("EIDER_STORE_BACKEND", "mongodb")
        .env("EIDER_MONGODB_URL", &url)
        .env("EIDER_MONGODB_DATABASE", &db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout.contains(&db), "{stdout}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let options = eider_store::mongo::MongoOptions::default();
        let store = eider_store::mongo::MongoStore::connect(&url, &db, options)
            .await
            .unwrap();
        let mut names = store.database().list_collection_names().await.unwrap();
        names.sort();
        assert!(names.contains(&"messages".to_string()), "{names:?}");
        assert!(names.contains(&"mailbox_counters".to_string()), "{names:?}");
        let users = eider_store::MailStore::list_users(&store, None, 10)
            .await
            .unwrap();
        assert!(users.is_empty(), "init creates no users");
        store.database().drop().await.unwrap();
    });
}
