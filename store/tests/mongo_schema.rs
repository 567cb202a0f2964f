//! Start-up schema creation of the MongoDB backend: idempotent, creates every documented index,
//! and follows a changed journal retention (TTL) on the next start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mongo_support;

use eider_store::mongo::{MongoOptions, MongoStore};
use mongo_support::{fresh_db_name, test_options, test_url};
use mongodb::bson::Document;
use std::time::Duration;

async fn ttl_of(store: &MongoStore) -> Option<i64> {
    let mut cursor = store
        .database()
        .collection::<Document>("journal")
        .list_indexes()
        .await
        .unwrap();
    let mut found = None;
    while cursor.advance().await.unwrap() {
        let model = cursor.deserialize_current().unwrap();
        let options = model.options.unwrap_or_default();
        if options.name.as_deref() == Some("at_ttl") {
            found = options.expire_after.map(|d| d.as_secs() as i64);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_is_idempotent_and_follows_ttl() {
    let Some(url) = test_url() else {
        return;
    };
    let db = fresh_db_name("schema");
    let days = |d: u64| MongoOptions {
        journal_ttl: Duration::from_secs(d * 86_400),
        ..test_options()
    };
    let first = MongoStore::connect(&url, &db, days(30)).await.unwrap();
    assert_eq!(ttl_of(&first).await, Some(30 * 86_400));
    // A second start with the same settings changes nothing and does not fail.
    let again = MongoStore::connect(&url, &db, days(30)).await.unwrap();
    let expected = [
        ("users", "key_unique"),
        ("addresses", "user"),
        ("mailboxes", "user_path"),
        ("messages", "mailbox_uid"),
        ("threads", "user_msgid"),
        ("journal", "mailbox_modseq"),
        ("journal", "at_ttl"),
        ("blobs", "refs_created"),
        ("chunks", "key_index"),
        ("uploads", "opened"),
        ("records", "expires_ttl"),
        ("outbox", "expires_ttl"),
        ("outbox", "lease"),
    ];
    for (coll, index) in expected {
        let names = again
            .database()
            .collection::<Document>(coll)
            .list_index_names()
            .await
            .unwrap();
        assert!(names.iter().any(|n| n == index), "{coll}: {names:?}");
    }
    let counters = again
        .database()
        .collection::<Document>("counters")
        .count_documents(Document::new())
        .await
        .unwrap();
    assert_eq!(counters, 4);
    // A shorter retention on the next start adjusts the TTL index in place.
    let shorter = MongoStore::connect(&url, &db, days(7)).await.unwrap();
    assert_eq!(ttl_of(&shorter).await, Some(7 * 86_400));
    shorter.database().drop().await.unwrap();
}
