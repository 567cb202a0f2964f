//! The conformance suite against the embedded (redb) backend, each test in its own temporary
//! directory (one store per `make`, all removed when the test ends).

// Test code: unwrapping is how it fails.
#![allow(clippy::unwrap_used)]

use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_store::mailstore::MailStore;
use eider_store_testkit::conformance::StoreFactory;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

struct Embedded {
    dir: tempfile::TempDir,
    next: AtomicU32,
    /// Where each store handed out lives, by the address of its allocation (for `reopen`).
    paths: Mutex<HashMap<usize, PathBuf>>,
}

impl Embedded {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            next: AtomicU32::new(0),
            paths: Mutex::new(HashMap::new()),
        }
    }

    async fn open(&self, path: PathBuf) -> Arc<dyn MailStore> {
        let at = path.clone();
        let store = tokio::task::spawn_blocking(move || {
            EmbeddedStore::open(&at, EmbeddedOptions::default())
        })
        .await
        .expect("join")
        .expect("EmbeddedStore::open");
        let store: Arc<dyn MailStore> = Arc::new(store);
        self.paths.lock().unwrap().insert(key(&store), path);
        store
    }
}

fn key(store: &Arc<dyn MailStore>) -> usize {
    Arc::as_ptr(store) as *const () as usize
}

#[async_trait::async_trait]
impl StoreFactory for Embedded {
    async fn make(&self) -> Arc<dyn MailStore> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        self.open(self.dir.path().join(format!("store{n}"))).await
    }

    async fn reopen(
        &self,
        store: Arc<dyn MailStore>,
    ) -> Result<Arc<dyn MailStore>, Arc<dyn MailStore>> {
        let path = self
            .paths
            .lock()
            .unwrap()
            .remove(&key(&store))
            .expect("store made by this factory");
        assert_eq!(Arc::strong_count(&store), 1, "reopen needs the last handle");
        // Dropping joins the writer thread and releases the directory lock.
        tokio::task::spawn_blocking(move || drop(store))
            .await
            .expect("join");
        Ok(self.open(path).await)
    }
}

eider_store_testkit::conformance_suite!(Embedded::new());
