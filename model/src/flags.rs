//! Message flags: system flags and keywords (RFC 3501 §2.3.2).

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// System flags as a bit set (RFC 3501 §2.3.2). `\Recent` is per session and never stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SystemFlags(pub u8);

impl SystemFlags {
    pub const SEEN: u8 = 1;
    pub const ANSWERED: u8 = 2;
    pub const FLAGGED: u8 = 4;
    pub const DELETED: u8 = 8;
    pub const DRAFT: u8 = 16;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// A message's flags: system flags plus keywords (case-preserved, compared case-insensitively by
/// the protocol layer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub system: SystemFlags,
    pub keywords: BTreeSet<String>,
}

impl Flags {
    pub fn seen(&self) -> bool {
        self.system.has(SystemFlags::SEEN)
    }

    pub fn deleted(&self) -> bool {
        self.system.has(SystemFlags::DELETED)
    }
}

/// How `set_flags` combines the given flags with the current ones.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagOp {
    Add,
    Remove,
    Replace,
}
