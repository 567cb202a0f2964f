//! The systemd units in `dist/`: one per daemon plus `eider.service`, each with the hardening
//! docs/scaling.md promises, and accepted by `systemd-analyze verify` (with `ExecStart` pointed
//! at the built `eider` binary, since verify checks that the program exists).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const UNITS: [(&str, &str); 5] = [
    ("eider-ingest.service", "/usr/bin/eider-ingest"),
    ("eider-imapd.service", "/usr/bin/eider-imapd"),
    ("eider-pop3d.service", "/usr/bin/eider-pop3d"),
    ("eider-api.service", "/usr/bin/eider-api"),
    ("eider.service", "/usr/bin/eider"),
];

fn dist() -> std::path::PathBuf {
    eider_tests::workspace_root().join("dist")
}

#[test]
fn every_unit_has_the_documented_hardening() {
    for (unit, bin) in UNITS {
        let text = std::fs::read_to_string(dist().join(unit)).unwrap();
        let has = |line: &str| text.lines().any(|l| l.trim() == line);
        for line in [
            "User=eider",
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "ReadWritePaths=/var/lib/eider",
            "PrivateTmp=yes",
            "ExecReload=/bin/kill -HUP $MAINPID",
        ] {
            assert!(has(line), "{unit} lacks {line}");
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("ExecStart={bin} --config /etc/eider/eider.toml"))),
            "{unit}: ExecStart"
        );
    }
    let imapd = std::fs::read_to_string(dist().join("eider-imapd.service")).unwrap();
    assert!(imapd.contains("LimitNOFILE=65536"));
}

#[test]
fn systemd_analyze_verify_accepts_the_units() {
    if !eider_tests::require(
        "systemd-analyze",
        eider_tests::have_command("systemd-analyze"),
    ) {
        return;
    }
    let eider = Path::new(env!("CARGO_BIN_EXE_eider"));
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for (unit, bin) in UNITS {
        let text = std::fs::read_to_string(dist().join(unit)).unwrap();
        let path = dir.path().join(unit);
        std::fs::write(&path, text.replace(bin, &eider.display().to_string())).unwrap();
        paths.push(path);
    }
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .args(&paths)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    // Unknown keys and misplaced settings are warnings on stderr, not failures.
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(&*dir.path().to_string_lossy()))
        .collect();
    assert!(ours.is_empty(), "{stderr}");
}
