//! The store-error mapping as a table: every `StoreError` variant and the answer it gets.

use super::*;
use eider_model::types::BlobId;

/// Status and code of the tagged answer, and whether its text could carry internal detail.
fn answer(e: StoreError) -> (Status, Option<Code>, String) {
    match store_error(e).to_response("a") {
        Response::Tagged {
            status, code, text, ..
        } => (status, code, text),
        other => panic!("not tagged: {other:?}"),
    }
}

#[test]
fn every_store_error_maps_to_one_answer() {
    let secret = "db at 10.0.0.7 said: password mismatch";
    let cases = [
        (StoreError::NotFound(secret.into()), Code::NonExistent),
        (
            StoreError::AlreadyExists(secret.into()),
            Code::AlreadyExists,
        ),
        (StoreError::OverQuota, Code::OverQuota),
        (StoreError::Invalid(secret.into()), Code::Cannot),
        (StoreError::NotAllowed(secret.into()), Code::Cannot),
        (StoreError::MissingBlob(BlobId([7; 32])), Code::ServerBug),
        (StoreError::Unavailable(secret.into()), Code::Unavailable),
        (StoreError::Corrupt(secret.into()), Code::ServerBug),
        (StoreError::Internal(secret.into()), Code::ServerBug),
    ];
    for (e, want) in cases {
        let name = format!("{e:?}");
        let (status, code, text) = answer(e);
        assert_eq!(status, Status::No, "{name}");
        assert_eq!(code, Some(want), "{name}");
        assert!(!text.contains("10.0.0.7"), "{name} leaks its cause: {text}");
        assert!(!text.contains("blob"), "{name} leaks its cause: {text}");
    }
}

#[test]
fn question_mark_uses_the_same_mapping() {
    let via_from: CommandError = StoreError::Unavailable("x".into()).into();
    assert_eq!(via_from, store_error(StoreError::Unavailable("x".into())));
    let internal: CommandError = StoreError::Internal("x".into()).into();
    assert!(matches!(internal, CommandError::Internal { .. }));
}

#[test]
fn internal_errors_answer_generically() {
    let r = CommandError::internal("db down").to_response("t");
    let Response::Tagged { text, code, .. } = r else {
        panic!("not tagged");
    };
    assert_eq!(code, Some(Code::ServerBug));
    assert_eq!(text, "Internal error, try again later");
}
