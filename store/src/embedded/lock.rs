//! The single-process rule: a data directory is held by one process at a time.
//!
//! `open` takes an exclusive OS lock on `eider.lock` inside the directory and writes its pid
//! there. A second open (from another process, or a second handle in the same process) fails at
//! once with a message naming the holder, instead of waiting or corrupting anything. The lock is
//! released when the file handle is dropped, including when the process dies.

use crate::error::{StoreError, StoreResult};
use std::fs::{File, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

pub const LOCK_FILE: &str = "eider.lock";

/// Holds the directory lock while alive.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> StoreResult<Self> {
        let path = dir.join(LOCK_FILE);
        let mut file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::Unavailable(format!("opening {}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                let who = if holder.is_empty() {
                    "another process".to_string()
                } else {
                    format!("process {holder}")
                };
                return Err(StoreError::Unavailable(format!(
                    "data directory {} is already in use by {who} (lock file {}); the embedded \
                     store can be opened by one process only: run all services in one process \
                     with `eider serve`, or use the MongoDB backend for several processes",
                    dir.display(),
                    path.display()
                )));
            }
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Unavailable(format!(
                    "locking {}: {e}",
                    path.display()
                )));
            }
        }
        let write_pid = |file: &mut File| -> std::io::Result<()> {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            file.sync_all()
        };
        write_pid(&mut file)
            .map_err(|e| StoreError::Unavailable(format!("writing {}: {e}", path.display())))?;
        Ok(Self { _file: file })
    }
}
