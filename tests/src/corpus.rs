//! Finds and reads the shared real-mail corpus (`../shared/corpus`, or `$EIDER_CORPUS`).
//!
//! The corpus is never copied into the repository; a fresh clone has none, so callers report a
//! clear skip when [`root`] is `None`.

use std::path::{Path, PathBuf};

/// The corpus directory, if present (see [`crate::corpus_dir`]).
pub fn root() -> Option<PathBuf> {
    crate::corpus_dir()
}

/// Every message file below `dir` (recursively), sorted, skipping README and licence files.
pub fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_uppercase();
            if p.is_dir() {
                stack.push(p);
            } else if !name.starts_with("README") && !name.starts_with("UPSTREAM") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A message in wire form: a leading mbox `From ` line dropped, every line ending CRLF.
pub fn wire_form(raw: &[u8]) -> Vec<u8> {
    let body = if raw.starts_with(b"From ") {
        memchr_nl(raw).map_or(&raw[..0], |i| &raw[i + 1..])
    } else {
        raw
    };
    let mut out = Vec::with_capacity(body.len() + body.len() / 32);
    let mut prev = 0u8;
    for &b in body {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

fn memchr_nl(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form_converts_endings_and_drops_from_line() {
        assert_eq!(
            wire_form(b"From x y\nA: b\n\nbody\n"),
            b"A: b\r\n\r\nbody\r\n"
        );
        assert_eq!(wire_form(b"A: b\r\n\r\nx\ny"), b"A: b\r\n\r\nx\r\ny");
    }
}
