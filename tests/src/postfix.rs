//! The system Postfix, for the tests that relay through a real MTA. They rewrite
//! `/etc/postfix/main.cf`, so they run only where `EIDER_TEST_POSTFIX=1` allows it (CI).

use std::process::{Command, Stdio};

/// Whether the Postfix tests may run here; otherwise they skip (or fail under
/// `EIDER_REQUIRE_ALL=1`) through [`crate::require`].
pub fn available() -> bool {
    let allowed = std::env::var("EIDER_TEST_POSTFIX").is_ok_and(|v| v == "1");
    crate::require(
        "postfix with EIDER_TEST_POSTFIX=1",
        allowed && crate::have_command("postfix"),
    )
}

/// `postfix ARGS…`, quietly; true on success.
pub fn control(args: &[&str]) -> bool {
    Command::new("postfix")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Checks the configuration just written, then reloads a running Postfix or starts one.
pub fn check_and_start() {
    assert!(control(&["check"]), "postfix check failed");
    if !control(&["reload"]) {
        assert!(control(&["start"]), "postfix start failed");
    }
}
