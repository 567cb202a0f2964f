//! The conformance suite against `MemStore`, a trivially correct in-memory reference store, to
//! check the suite itself (a failure here is a bug in the suite or in the reference).

// Test code: unwrapping is how it fails.
#![allow(clippy::unwrap_used)]

#[path = "support/memstore/mod.rs"]
mod memstore;

use eider_store::mailstore::MailStore;
use std::sync::Arc;

async fn fresh() -> Arc<dyn MailStore> {
    Arc::new(memstore::MemStore::new())
}

eider_store_testkit::conformance_suite!(fresh);
