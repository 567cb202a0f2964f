//! Shared by the MongoDB test files: the `EIDER_TEST_MONGODB_URL` rule and a factory that gives
//! each store its own fresh database (dropped when the factory goes away).
//!
//! Rule (as `eider_tests::require`, which this crate cannot depend on): without the variable a
//! test prints `skipped: EIDER_TEST_MONGODB_URL not set` and returns, unless
//! `EIDER_REQUIRE_ALL=1`, in which case it fails.

#![allow(dead_code)]

use eider_store::mailstore::MailStore;
use eider_store::mongo::{MongoOptions, MongoStore};
use eider_store_testkit::conformance::StoreFactory;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fails when `EIDER_REQUIRE_ALL=1`, else prints the skip line; returns false either way.
pub fn require(what: &str) -> bool {
    let required = std::env::var("EIDER_REQUIRE_ALL").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{what}, and EIDER_REQUIRE_ALL=1 forbids skipping"
    );
    println!("skipped: {what}");
    eprintln!("skipped: {what}");
    false
}

/// The test server's URL, or `None` after applying the skip rule.
pub fn test_url() -> Option<String> {
    match std::env::var("EIDER_TEST_MONGODB_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            require("EIDER_TEST_MONGODB_URL not set");
            None
        }
    }
}

pub fn test_options() -> MongoOptions {
    MongoOptions {
        server_selection_timeout: Duration::from_secs(3),
        max_pool_size: 100,
        ..MongoOptions::default()
    }
}

/// Database names unique within this process (and across processes by pid).
pub fn fresh_db_name(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!("eider_{tag}_{}_{n}", std::process::id())
}

/// One fresh database per `make`; `reopen` reconnects to the same database.
pub struct MongoFactory {
    url: String,
    names: Mutex<HashMap<usize, String>>,
    made: Mutex<Vec<String>>,
}

impl MongoFactory {
    pub fn from_env() -> Option<Self> {
        Some(Self {
            url: test_url()?,
            names: Mutex::new(HashMap::new()),
            made: Mutex::new(Vec::new()),
        })
    }

    async fn open(&self, name: String) -> Arc<dyn MailStore> {
        let store = MongoStore::connect(&self.url, &name, test_options())
            .await
            .expect("MongoStore::connect");
        let store: Arc<dyn MailStore> = Arc::new(store);
        self.names.lock().unwrap().insert(key(&store), name);
        store
    }
}

fn key(store: &Arc<dyn MailStore>) -> usize {
    Arc::as_ptr(store) as *const () as usize
}

#[async_trait::async_trait]
impl StoreFactory for MongoFactory {
    async fn make(&self) -> Arc<dyn MailStore> {
        let name = fresh_db_name("t");
        self.made.lock().unwrap().push(name.clone());
        self.open(name).await
    }

    async fn reopen(
        &self,
        store: Arc<dyn MailStore>,
    ) -> Result<Arc<dyn MailStore>, Arc<dyn MailStore>> {
        let name = self
            .names
            .lock()
            .unwrap()
            .remove(&key(&store))
            .expect("store made by this factory");
        assert_eq!(Arc::strong_count(&store), 1, "reopen needs the last handle");
        drop(store);
        Ok(self.open(name).await)
    }
}

impl Drop for MongoFactory {
    /// Drops the test databases (on a thread of its own: `Drop` cannot await).
    fn drop(&mut self) {
        let names = std::mem::take(&mut *self.made.lock().unwrap());
        let url = self.url.clone();
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let Ok(client) = mongodb::Client::with_uri_str(&url).await else {
                    return;
                };
                for name in names {
                    let _ = client.database(&name).drop().await;
                }
            });
        })
        .join();
    }
}
