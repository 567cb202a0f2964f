//! Shared pieces of Eider's benchmarks: latency statistics and process memory sampling.

pub mod stats;
