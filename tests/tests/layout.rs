//! The house plan (docs/architecture.md), checked: crates depend on each other only downwards,
//! no source file grows past 600 lines, and no crate holds more than a third of the non-test
//! code. A change that breaks the plan fails here instead of eroding it quietly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Each workspace crate (directory) and the Eider crates its normal `[dependencies]` may name.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("mime", &["eider-model"]),
    ("store", &["eider-model", "eider-mime"]),
    ("store-testkit", &["eider-model", "eider-store"]),
    ("runtime", &["eider-model", "eider-store"]),
    (
        "ingest",
        &["eider-model", "eider-mime", "eider-store", "eider-runtime"],
    ),
    (
        "imapd",
        &["eider-model", "eider-mime", "eider-store", "eider-runtime"],
    ),
    (
        "pop3d",
        &["eider-model", "eider-mime", "eider-store", "eider-runtime"],
    ),
    (
        "api",
        &[
            "eider-model",
            "eider-mime",
            "eider-store",
            "eider-runtime",
            "eider-imapd",
        ],
    ),
];

/// Crates that only tests, benchmarks and the top-level binary may use.
const TEST_ONLY: &[&str] = &["eider-store-testkit", "eider-tests"];

const MAX_FILE_LINES: usize = 600;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn members() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("Cargo.toml")).expect("read Cargo.toml");
    let doc: toml::Table = text.parse().expect("parse Cargo.toml");
    doc["workspace"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m.as_str().expect("member").to_owned())
        .collect()
}

fn eider_deps(krate: &str, section: &str) -> Vec<String> {
    let path = root().join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("read crate manifest");
    let doc: toml::Table = text.parse().expect("parse crate manifest");
    doc.get(section)
        .and_then(|d| d.as_table())
        .map(|t| {
            t.keys()
                .filter(|k| k.starts_with("eider"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = e.file_name();
        if p.is_dir() && name != "target" && name != "fuzz" {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Lines of code outside tests: test files and directories, and trailing `#[cfg(test)]`
/// modules, are left out; blank and comment lines too.
fn non_test_lines(path: &Path) -> usize {
    let s = path.to_string_lossy();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if s.contains("/tests/") || name.starts_with("tests") || name.ends_with("_tests.rs") {
        return 0;
    }
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let code = match text.find("#[cfg(test)]\nmod tests {") {
        Some(i) => &text[..i],
        None => &text,
    };
    code.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

#[test]
fn crates_depend_only_downwards() {
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for krate in members() {
        let deps = eider_deps(&krate, "dependencies");
        if let Some(ok) = allowed.get(krate.as_str()) {
            for d in &deps {
                assert!(
                    ok.contains(&d.as_str()),
                    "{krate} depends on {d}; allowed: {ok:?} (docs/architecture.md)"
                );
            }
        }
        if !["tests", "bench", "eider"].contains(&krate.as_str()) {
            for d in &deps {
                assert!(
                    !TEST_ONLY.contains(&d.as_str()),
                    "{krate} has the test-only crate {d} among its normal dependencies"
                );
            }
        }
    }
}

#[test]
fn no_runtime_crate_enables_test_util() {
    // The test certificates (`transport::testcert`) stay out of production builds: only
    // dev-dependencies may turn on `test-util`.
    for krate in members() {
        let text = std::fs::read_to_string(root().join(&krate).join("Cargo.toml"))
            .expect("read crate manifest");
        let doc: toml::Table = text.parse().expect("parse crate manifest");
        let Some(deps) = doc.get("dependencies").and_then(|d| d.as_table()) else {
            continue;
        };
        for (name, spec) in deps {
            let features = spec
                .get("features")
                .and_then(|f| f.as_array())
                .cloned()
                .unwrap_or_default();
            assert!(
                !features.iter().any(|f| f.as_str() == Some("test-util")),
                "{krate}: normal dependency {name} enables test-util"
            );
        }
    }
}

#[test]
fn no_file_over_600_lines() {
    let mut files = Vec::new();
    for krate in members() {
        rust_files(&root().join(krate), &mut files);
    }
    assert!(files.len() > 100, "found only {} files", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|p| {
            let n = std::fs::read_to_string(p).ok()?.lines().count();
            (n > MAX_FILE_LINES).then(|| format!("{} ({n} lines)", p.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines: {long:?}"
    );
}

#[test]
fn no_crate_holds_a_third_of_the_code() {
    let mut per_crate = BTreeMap::new();
    for krate in members() {
        let mut files = Vec::new();
        rust_files(&root().join(&krate).join("src"), &mut files);
        let n: usize = files.iter().map(|p| non_test_lines(p)).sum();
        per_crate.insert(krate, n);
    }
    let total: usize = per_crate.values().sum();
    assert!(total > 10_000, "counted only {total} lines: {per_crate:?}");
    for (krate, n) in &per_crate {
        assert!(
            n * 3 <= total,
            "{krate} holds {n} of {total} non-test lines (more than a third): {per_crate:?}"
        );
    }
}
