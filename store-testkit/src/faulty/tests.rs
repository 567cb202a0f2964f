//! Unit tests of the fault-injecting wrapper over the embedded store.

#![allow(clippy::unwrap_used)]

use super::*;
use eider_model::UserLimits;
use eider_store::embedded::{EmbeddedOptions, EmbeddedStore};

fn new_user(name: &str) -> NewUser {
    NewUser {
        username: name.into(),
        password_hash: "x".into(),
        quota: 0,
        limits: UserLimits::default(),
        spam_level: 0,
    }
}

#[tokio::test]
async fn before_refuses_after_commits_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let inner = Arc::new(EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap());
    let f = FaultyStore::new(inner);
    f.fail_nth_write(2, FaultMode::Before, false);
    let mut outcomes = Vec::new();
    for name in ["a", "b", "c"] {
        outcomes.push(f.create_user(new_user(name)).await.is_ok());
    }
    assert_eq!(outcomes, [true, false, true]);
    assert!(
        f.find_user("b").await.unwrap().is_none(),
        "refused write never happened"
    );
    assert_eq!(f.injected(), 1);

    f.fail_nth_write(1, FaultMode::After, false);
    let res = f.create_user(new_user("d")).await;
    assert!(matches!(res, Err(StoreError::Internal(_))), "{res:?}");
    assert!(
        f.find_user("d").await.unwrap().is_some(),
        "write after which the fault struck happened"
    );

    f.fail_nth_write(1, FaultMode::Before, true);
    assert!(f.create_user(new_user("e")).await.is_err());
    assert!(
        f.create_user(new_user("f")).await.is_err(),
        "sticky keeps failing"
    );
    f.disarm();
    assert!(f.create_user(new_user("g")).await.is_ok());

    assert_eq!(
        (
            f.write_calls(),
            f.calls("create_user"),
            f.calls("find_user")
        ),
        (7, 7, 2)
    );
    assert_eq!((f.read_calls(), f.injected()), (2, 4));
}
