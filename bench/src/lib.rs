//! Shared pieces of Eider's benchmarks: latency statistics, process memory sampling, and the
//! generated corpus of large messages with recurring attachments.

pub mod attachments;
pub mod stats;
