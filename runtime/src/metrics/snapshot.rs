//! The values of a registry at one moment, as published to Redis (JSON) and rendered.
//!
//! Invariant (kept by `Registry::snapshot`, checked again by the renderer for snapshots read
//! from Redis): each series has one value per label name, and a histogram's cumulative
//! `buckets` has one count per bound.

use super::Kind;
use serde::{Deserialize, Serialize};

/// Every family of a registry at one moment; what a process publishes to Redis (as JSON).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub families: Vec<FamilySnapshot>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FamilySnapshot {
    pub name: String,
    pub help: String,
    pub kind: Kind,
    pub labels: Vec<String>,
    /// Histogram bucket upper bounds (seconds); empty for other kinds.
    #[serde(default)]
    pub bounds: Vec<f64>,
    pub series: Vec<SeriesSnapshot>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSnapshot {
    /// One value per label name of the family.
    pub values: Vec<String>,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Value {
    Counter(u64),
    Gauge(i64),
    Histogram {
        /// Cumulative counts, one per bound (the `+Inf` bucket is `count`).
        buckets: Vec<u64>,
        count: u64,
        /// Seconds.
        sum: f64,
    },
}
