//! Shared helpers for Eider's tests.
