//! Shared helpers for Eider's bench.
