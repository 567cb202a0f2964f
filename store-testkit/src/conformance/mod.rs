//! The backend-independent conformance suite for [`MailStore`].
//!
//! Every backend runs the same tests: a backend's test file implements (or passes a closure as) a
//! [`StoreFactory`] that makes a fresh, empty store, and expands [`crate::conformance_suite!`],
//! which turns every test listed here into one `#[tokio::test]`:
//!
//! ```ignore
//! eider_store_testkit::conformance_suite!(MyFactory::new());
//! ```
//!
//! Another crate's tests need `eider-store-testkit` and `tokio` among their dev-dependencies. A closure works too: `conformance_suite!(|| async { Arc::new(MemStore::new()) as Arc<dyn
//! MailStore> })`. Backends with durable state should implement [`StoreFactory::reopen`], so
//! the restart checks (`reopen_keeps_everything`, the fault flows) really reopen.
//!
//! Each test is a `pub async fn name(factory: &dyn StoreFactory)` that panics on a violation, so a
//! single test can also be called by hand. [`check_consistency`] recounts everything a store keeps
//! (mailbox counters, user usage, quota, blob references, journal) and is shared with the fault
//! tests (`faults`, over [`crate::faulty::FaultyStore`]) and the embedded crash test.
//! `random_ops_keep_counters` takes its seed from `EIDER_CONFORMANCE_SEED` when set.
//!
//! The suite checks only what `store.rs` documents; where the contract leaves a choice open
//! (moving into the same mailbox, the journal of a deleted mailbox) it accepts every outcome
//! that keeps the invariants.
//!
//! This module is test code (its crate is used only as a dev-dependency), which is why it may
//! panic and unwrap.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod blobs;
mod check;
mod concurrency;
mod content;
mod edges;
mod events;
mod faults;
mod fixtures;
mod journal;
mod mailboxes;
mod messages;
mod quota;
mod race_errors;
mod races;
mod random_ops;
mod records;
mod reopen;
mod users;

pub use blobs::*;
pub use check::{check_consistency, check_consistency_with, message_blobs, replay};
pub use concurrency::*;
pub use content::*;
pub use edges::*;
pub use events::*;
pub use faults::*;
pub use fixtures::*;
pub use journal::*;
pub use mailboxes::*;
pub use messages::*;
pub use quota::*;
pub use race_errors::*;
pub use races::*;
pub use random_ops::*;
pub use records::*;
pub use reopen::*;
pub use users::*;

use async_trait::async_trait;
use eider_store::mailstore::MailStore;
use std::future::Future;
use std::sync::Arc;

/// Makes fresh, empty stores for the suite. A factory may own resources that must outlive its
/// stores (a temporary directory, a database name); the suite keeps the factory alive for the
/// whole test.
#[async_trait]
pub trait StoreFactory: Send + Sync {
    /// A new store with no users, blobs or uploads, independent of every store made before.
    async fn make(&self) -> Arc<dyn MailStore>;

    /// Closes `store` (the caller holds the last reference) and opens the same data again, as a
    /// restarted process would. Backends that keep no state apart from the handle (in-memory
    /// stores) give the store back as `Err`, and tests go on with it.
    async fn reopen(
        &self,
        store: Arc<dyn MailStore>,
    ) -> Result<Arc<dyn MailStore>, Arc<dyn MailStore>> {
        Err(store)
    }
}

/// [`StoreFactory::reopen`], or the same store when the backend cannot reopen; says which.
pub async fn reopen_or_keep(
    f: &dyn StoreFactory,
    store: Arc<dyn MailStore>,
) -> (Arc<dyn MailStore>, bool) {
    match f.reopen(store).await {
        Ok(reopened) => (reopened, true),
        Err(kept) => (kept, false),
    }
}

/// Any `Fn() -> impl Future<Output = Arc<dyn MailStore>>` is a factory.
#[async_trait]
impl<F, Fut> StoreFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn MailStore>> + Send,
{
    async fn make(&self) -> Arc<dyn MailStore> {
        self().await
    }
}

/// Expands to one `#[tokio::test]` per conformance test, each calling
/// `eider_store_testkit::conformance::NAME(&factory)` with a factory built by `$factory` (evaluated once
/// per test). The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) available.
#[macro_export]
macro_rules! conformance_suite {
    ($factory:expr) => {
        $crate::conformance_suite!(@tests $factory;
            users_unique_names,
            users_default_mailboxes,
            users_update_and_list,
            users_delete_releases_everything,
            addresses_add_lookup_delete,
            addresses_catch_all_and_domain_aliases,
            mailboxes_create_and_find,
            mailboxes_rename_moves_children,
            mailboxes_inbox_is_protected,
            mailboxes_attributes,
            mailboxes_delete_releases_messages,
            messages_append_get_list,
            messages_append_missing_blob_has_no_effect,
            messages_copy_mapping,
            messages_move_is_atomic,
            messages_expunge,
            messages_bulk_operations,
            events_name_each_changed_mailbox,
            events_follow_commit,
            content_read_back_exact,
            content_blob_dedup_and_abort,
            blob_put_whole,
            append_with_pending_blobs,
            blob_read_covering_chunks,
            content_random_layouts,
            concurrent_appends_monotonic,
            concurrent_flag_changes_monotonic,
            journal_replay_reproduces_state,
            journal_records_mailbox_lifecycle,
            set_flags_unchanged_since,
            set_flags_noop_keeps_modseq,
            quota_exact_limit,
            quota_copy_and_move,
            random_ops_keep_counters,
            blob_refcounts_follow_references,
            sweep_removes_only_unreferenced_old_blobs,
            edges_duplicate_and_empty_uid_lists,
            edges_uid_ranges,
            edges_mailbox_paths,
            threads_follow_references,
            threads_link_out_of_order,
            race_quota_never_exceeded,
            race_move_vs_expunge,
            race_condstore_conflict,
            race_sweep_vs_append,
            race_identical_blob_commits,
            race_failures_leave_no_trace,
            race_delete_user_vs_writes,
            reopen_keeps_everything,
            faults_ingest_flow,
            faults_copy_move_flow,
            faults_delete_user_flow,
            records_put_list_expire,
            outbox_tail_claim_done,
            outbox_concurrent_claims_exclusive,
            records_survive_reopen,
            outbox_records_junk_copies,
        );
    };
    (@tests $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let factory = $factory;
                $crate::conformance::$name(&factory).await;
            }
        )*
    };
}
