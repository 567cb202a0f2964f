//! Reading the shared real-mail corpus for the corpus tests: where it is (`$EIDER_CORPUS` or
//! `../shared/corpus`, with the skip rule: `skipped: ...`, or a failure under
//! `EIDER_REQUIRE_ALL=1`), which files are messages, and their CRLF wire form.

use std::path::{Path, PathBuf};

/// The corpus directory, or `None` after printing why the caller skips.
pub fn corpus() -> Option<PathBuf> {
    let p = match std::env::var_os("EIDER_CORPUS") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("EIDER_REQUIRE_ALL").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and EIDER_REQUIRE_ALL=1",
            p.display()
        );
    }
    println!("skipped: corpus not found at {}", p.display());
    None
}

/// Every message file below `dir`, sorted (READMEs, provenance and non-mail files left out).
pub fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, out);
            continue;
        }
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let skip = name.starts_with("README")
            || name.starts_with("UPSTREAM")
            || name == "SOURCE.json"
            || [".json", ".jpg", ".png", ".pdf", ".md", ".odt\""]
                .iter()
                .any(|e| name.ends_with(e));
        if !skip {
            out.push(p);
        }
    }
}

/// LF line endings to CRLF (SMTP/LMTP/IMAP carry CRLF); existing CRLFs are kept.
pub fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 30);
    for (i, &c) in data.iter().enumerate() {
        if c == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}
