//! The daemon binaries the black-box tests start, built on demand.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds `bin` (package of the same name) next to `eider` and returns its path.
///
/// `cargo test -p eider` builds only this package's binaries, so the daemons' may be missing or
/// stale: (re)build them with the same profile and target directory (a no-op when up to date).
pub fn build(bin: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_BIN_EXE_eider")).with_file_name(bin);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "-p", bin, "--bin", bin]);
    if path.parent().is_some_and(|dir| dir.ends_with("release")) {
        build.arg("--release");
    }
    let status = build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo build --bin {bin} failed");
    path
}
