//! The conformance suite against the embedded (redb) backend, each test in its own temporary
//! directory (one store per `make`, all removed when the test ends).

// Test code: unwrapping is how it fails.
#![allow(clippy::unwrap_used)]

use eider_common::conformance::StoreFactory;
use eider_common::embedded::{EmbeddedOptions, EmbeddedStore};
use eider_common::store::MailStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

struct Embedded {
    dir: tempfile::TempDir,
    next: AtomicU32,
}

impl Embedded {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            next: AtomicU32::new(0),
        }
    }
}

#[async_trait::async_trait]
impl StoreFactory for Embedded {
    async fn make(&self) -> Arc<dyn MailStore> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.path().join(format!("store{n}"));
        let store = tokio::task::spawn_blocking(move || {
            EmbeddedStore::open(&path, EmbeddedOptions::default())
        })
        .await
        .expect("join")
        .expect("EmbeddedStore::open");
        Arc::new(store)
    }
}

eider_common::conformance_suite!(Embedded::new());
