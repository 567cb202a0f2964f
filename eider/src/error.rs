//! The errors `eider` reports and the exit code each maps to. Scripts rely on these codes and on
//! the first word of the message, so both are stable:
//!
//! | code | meaning                          |
//! |------|----------------------------------|
//! | 0    | success                          |
//! | 1    | usage or configuration error     |
//! | 2    | a named user/address/… not found |
//! | 3    | it already exists                |
//! | 4    | the store failed (or is locked)  |
//! | 5    | `verify` found damaged messages  |

use eider_runtime::config::ConfigError;
use eider_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("usage: {0}")]
    Usage(String),
    #[error("config: {0}")]
    Config(#[from] ConfigError),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("already exists: {0}")]
    Exists(String),
    #[error("store: {0}")]
    Store(String),
    #[error("verify: {0}")]
    Damaged(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 1,
            CliError::NotFound(_) => 2,
            CliError::Exists(_) => 3,
            CliError::Store(_) => 4,
            CliError::Damaged(_) => 5,
        }
    }
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => CliError::NotFound(what),
            StoreError::AlreadyExists(what) => CliError::Exists(what),
            StoreError::Invalid(why) | StoreError::NotAllowed(why) => CliError::Usage(why),
            other => CliError::Store(other.to_string()),
        }
    }
}

pub type CliResult<T> = Result<T, CliError>;
