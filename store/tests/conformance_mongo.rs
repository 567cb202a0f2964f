//! The conformance suite against the MongoDB backend, each store on a fresh database of the
//! server named by `EIDER_TEST_MONGODB_URL` (CI runs SecantusDB; any MongoDB replica set works).
//! Without the variable every test prints "skipped" (or fails under `EIDER_REQUIRE_ALL=1`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod mongo_support;

use mongo_support::MongoFactory;

eider_store_testkit::conformance_suite!(match MongoFactory::from_env() {
    Some(f) => f,
    None => return,
});
