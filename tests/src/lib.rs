//! Shared helpers for Eider's tests.
//!
//! Convention for tests that need something outside the Rust toolchain (python3, swaks, postfix,
//! redis, the real-mail corpus): call [`require`] first. When the tool is missing the test prints
//! `skipped: <why>` and returns early, unless `EIDER_REQUIRE_ALL=1` is set (CI sets it), in which
//! case the test fails, so a CI run can never pass by skipping.
//!
//! ```text
//! if !eider_tests::require("python3", eider_tests::have_command("python3")) {
//!     return;
//! }
//! ```

use std::path::{Path, PathBuf};

pub mod corpus;
pub mod harness;
pub mod imap_client;
pub mod lmtp_client;
pub mod postfix;
pub mod raw_client;
pub mod redis_cluster;
pub mod redis_server;

/// True when `EIDER_REQUIRE_ALL=1`: missing tools fail tests instead of skipping them.
pub fn require_all() -> bool {
    std::env::var("EIDER_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Returns `available`; when it is false, prints `skipped: <what> not available`, or panics if
/// [`require_all`] holds.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(
        !require_all(),
        "{what} not available, and EIDER_REQUIRE_ALL=1 forbids skipping"
    );
    println!("skipped: {what} not available");
    eprintln!("skipped: {what} not available");
    false
}

/// True if `name` is an executable file in one of the `PATH` directories.
pub fn have_command(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = std::env::var_os("PATH") else {
        return false;
    };
    std::env::split_paths(&path).any(|dir| {
        std::fs::metadata(dir.join(name))
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

/// The workspace root (this crate lives in `<root>/tests`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The real-mail corpus: `$EIDER_CORPUS`, else `../shared/corpus` next to the workspace root.
/// `None` when neither is a directory (callers then `require("corpus", false)`).
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("EIDER_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared/corpus"),
    };
    dir.is_dir().then_some(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_commands() {
        assert!(have_command("sh"));
        assert!(!have_command("eider-no-such-command"));
    }

    #[test]
    fn available_never_skips() {
        assert!(require("sh", true));
    }

    #[test]
    fn missing_skips_or_fails() {
        let outcome = std::panic::catch_unwind(|| require("a missing tool", false));
        match outcome {
            Ok(ran) => assert!(!ran && !require_all()),
            Err(_) => assert!(require_all()),
        }
    }

    #[test]
    fn root_has_the_workspace_manifest() {
        assert!(workspace_root().join("Cargo.toml").is_file());
    }
}
