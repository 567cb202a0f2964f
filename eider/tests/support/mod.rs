//! Runs the built `eider` binary against a private data directory.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A temporary installation: a config file whose data_dir and listeners are private to the test.
pub struct Site {
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Site {
    pub fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("eider.toml");
        let data = dir.path().join("data");
        // Port 0 everywhere: tests run in parallel and must not collide.
        let text = format!(
            "data_dir = {data:?}\n\
             [lmtp]\nlisten = \"127.0.0.1:0\"\n\
             [imap]\nlisten = \"127.0.0.1:0\"\n\
             [pop3]\nlisten = \"127.0.0.1:0\"\n\
             [api]\nlisten = \"127.0.0.1:0\"\n"
        );
        std::fs::write(&config, text).unwrap();
        Site { dir, config }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `eider -c CONFIG args...` with no EIDER_* variables from the caller's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_eider"));
        for (key, _) in std::env::vars() {
            if key.starts_with("EIDER_") {
                cmd.env_remove(key);
            }
        }
        cmd.arg("-c").arg(&self.config).args(args);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().unwrap(), args)
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap(), args)
    }

    /// Runs and asserts the exit code; returns the run for further checks.
    pub fn expect(&self, code: i32, args: &[&str]) -> Run {
        let run = self.run(args);
        run.code(code);
        run
    }

    /// Opens the site's store in this process (no `eider` process may be running) and runs `f`.
    pub fn with_store<T>(&self, f: impl AsyncFnOnce(&dyn eider_store::MailStore) -> T) -> T {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let config = eider_runtime::config::Config::load(&self.config).unwrap();
            let store = eider_runtime::open_store(&config).await.unwrap();
            f(store.as_ref()).await
        })
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let run = self.expect(0, args);
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{run:?}"))
    }
}

#[derive(Debug)]
pub struct Run {
    pub args: Vec<String>,
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output, args: &[&str]) -> Run {
        Run {
            args: args.iter().map(|s| s.to_string()).collect(),
            status: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    pub fn code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            Some(code),
            "exit code of {:?}\n{self:#?}",
            self.args
        );
        self
    }

    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\n{self:#?}"
        );
        self
    }

    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\n{self:#?}"
        );
        self
    }
}

/// The string values of `key` in a JSON array of objects.
pub fn strings(value: &serde_json::Value, key: &str) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_owned())
        .collect()
}

pub fn exists_nonempty(dir: &Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some())
}
