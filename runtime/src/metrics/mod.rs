//! Operational metrics: a small registry of counters, gauges and latency histograms that every
//! daemon records into, a serialisable [`Snapshot`] of it, the Prometheus text exposition
//! ([`render`]), and the cross-process collection through Redis ([`Metrics`]).
//!
//! Invariants:
//! - a family is identified by its name; registering a name again returns the same family (the
//!   daemons of `eider serve` and repeated `run`s in tests share one registry), and registering
//!   it with another kind or other labels returns a detached family that is recorded into but
//!   never exposed (logged once), so one programming slip cannot corrupt the exposition;
//! - a series' label values always match its family's label names in number;
//! - recording is lock-free once a series exists (atomics); creating a series takes a write
//!   lock once.
//!
//! Latency histograms count in cumulative buckets whose upper bounds are seconds
//! ([`LATENCY_BUCKETS`]) and keep the sum in nanoseconds (exposed as seconds).

#[cfg(any(test, feature = "test-util"))]
pub mod check;
mod render;
mod shared;
mod snapshot;

pub use render::{Source, render, valid_label_name, valid_metric_name};
pub use shared::{Metrics, MetricsError};
pub use snapshot::{FamilySnapshot, SeriesSnapshot, Snapshot, Value};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histograms: 1 ms to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What a family measures (Prometheus metric types).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Histogram => "histogram",
        }
    }
}

/// One histogram series: a count per bucket (not cumulative; the last one is `+Inf`), the
/// number of observations and their sum in nanoseconds.
#[derive(Debug)]
struct HistogramCell {
    bounds: Arc<[f64]>,
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl HistogramCell {
    fn new(bounds: Arc<[f64]>) -> Self {
        let buckets = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self {
            bounds,
            buckets,
            count: AtomicU64::new(0),
            sum_nanos: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        // `le` is inclusive: an observation equal to a bound falls into that bucket.
        let i = self.bounds.partition_point(|b| *b < secs);
        if let Some(b) = self.buckets.get(i) {
            b.fetch_add(1, Ordering::Relaxed);
        }
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn value(&self) -> Value {
        let mut cumulative = Vec::with_capacity(self.bounds.len());
        let mut total = 0u64;
        for b in self.buckets.iter().take(self.bounds.len()) {
            total += b.load(Ordering::Relaxed);
            cumulative.push(total);
        }
        let inf = self.buckets.last().map_or(0, |b| b.load(Ordering::Relaxed));
        Value::Histogram {
            buckets: cumulative,
            // Read per bucket, so `count` stays consistent with them under concurrent updates.
            count: total + inf,
            sum: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

/// A counter read from elsewhere when a snapshot is taken (the store's own statistics).
#[derive(Clone)]
struct Probe(Arc<dyn Fn() -> u64 + Send + Sync>);

impl std::fmt::Debug for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Probe")
    }
}

#[derive(Clone, Debug)]
enum Cell {
    Counter(Arc<AtomicU64>),
    Gauge(Arc<AtomicI64>),
    Histogram(Arc<HistogramCell>),
    Probe(Probe),
}

impl Cell {
    fn new(kind: Kind, bounds: &Arc<[f64]>) -> Self {
        match kind {
            Kind::Counter => Cell::Counter(Arc::default()),
            Kind::Gauge => Cell::Gauge(Arc::default()),
            Kind::Histogram => Cell::Histogram(Arc::new(HistogramCell::new(Arc::clone(bounds)))),
        }
    }

    fn value(&self) -> Value {
        match self {
            Cell::Counter(c) => Value::Counter(c.load(Ordering::Relaxed)),
            Cell::Gauge(g) => Value::Gauge(g.load(Ordering::Relaxed)),
            Cell::Histogram(h) => h.value(),
            Cell::Probe(p) => Value::Counter((p.0)()),
        }
    }
}

/// One metric family: name, help, kind, label names and its series by label values.
#[derive(Debug)]
struct Family {
    name: String,
    help: String,
    kind: Kind,
    labels: Vec<String>,
    bounds: Arc<[f64]>,
    series: RwLock<BTreeMap<Vec<String>, Cell>>,
}

impl Family {
    /// The series for `values` (padded or cut to the label count), created on first use.
    fn cell(&self, values: &[&str]) -> Cell {
        debug_assert_eq!(values.len(), self.labels.len(), "{}", self.name);
        let key: Vec<String> = (0..self.labels.len())
            .map(|i| values.get(i).copied().unwrap_or_default().to_owned())
            .collect();
        if let Some(c) = read(&self.series).get(&key) {
            return c.clone();
        }
        let mut series = self.series.write().unwrap_or_else(|e| e.into_inner());
        series
            .entry(key)
            .or_insert_with(|| Cell::new(self.kind, &self.bounds))
            .clone()
    }

    fn snapshot(&self) -> FamilySnapshot {
        FamilySnapshot {
            name: self.name.clone(),
            help: self.help.clone(),
            kind: self.kind,
            labels: self.labels.clone(),
            bounds: self.bounds.to_vec(),
            series: read(&self.series)
                .iter()
                .map(|(values, cell)| SeriesSnapshot {
                    values: values.clone(),
                    value: cell.value(),
                })
                .collect(),
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

/// The families of one process, in registration order.
#[derive(Debug, Default)]
pub struct Registry {
    families: Mutex<Vec<Arc<Family>>>,
}

impl Registry {
    fn family(
        &self,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[&str],
        bounds: &[f64],
    ) -> Arc<Family> {
        let fresh = || {
            Arc::new(Family {
                name: name.to_owned(),
                help: help.to_owned(),
                kind,
                labels: labels.iter().map(|l| (*l).to_owned()).collect(),
                bounds: bounds.into(),
                series: RwLock::default(),
            })
        };
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = families.iter().find(|f| f.name == name) {
            if f.kind == kind && f.labels.iter().eq(labels.iter().copied()) && *f.bounds == *bounds
            {
                return Arc::clone(f);
            }
            tracing::error!(
                metric = name,
                "metric registered twice with different shapes"
            );
            return fresh();
        }
        let f = fresh();
        if !valid_metric_name(name) || !labels.iter().all(|l| valid_label_name(l)) {
            tracing::error!(metric = name, "invalid metric or label name; not exposed");
            return f;
        }
        families.push(Arc::clone(&f));
        f
    }

    /// A counter without labels (shown as 0 until incremented).
    pub fn counter(&self, name: &str, help: &str) -> Counter {
        self.counter_vec(name, help, &[]).with(&[])
    }

    /// A counter family with labels; series appear when first used.
    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> CounterVec {
        CounterVec(self.family(name, help, Kind::Counter, labels, &[]))
    }

    /// A counter without labels whose value `read` returns at each snapshot; registering the
    /// name again replaces the function.
    pub fn counter_fn(
        &self,
        name: &str,
        help: &str,
        read: impl Fn() -> u64 + Send + Sync + 'static,
    ) {
        let family = self.family(name, help, Kind::Counter, &[], &[]);
        let mut series = family.series.write().unwrap_or_else(|e| e.into_inner());
        series.insert(Vec::new(), Cell::Probe(Probe(Arc::new(read))));
    }

    pub fn gauge(&self, name: &str, help: &str) -> Gauge {
        self.gauge_vec(name, help, &[]).with(&[])
    }

    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
        GaugeVec(self.family(name, help, Kind::Gauge, labels, &[]))
    }

    /// A latency histogram without labels, in [`LATENCY_BUCKETS`].
    pub fn histogram(&self, name: &str, help: &str) -> Histogram {
        self.histogram_vec(name, help, &[]).with(&[])
    }

    pub fn histogram_vec(&self, name: &str, help: &str, labels: &[&str]) -> HistogramVec {
        HistogramVec(self.family(name, help, Kind::Histogram, labels, LATENCY_BUCKETS))
    }

    /// The current values of every family.
    pub fn snapshot(&self) -> Snapshot {
        let families = self
            .families
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        Snapshot {
            families: families.iter().map(|f| f.snapshot()).collect(),
        }
    }
}

/// A monotonically increasing count.
#[derive(Clone, Debug)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn inc(&self) {
        self.add(1);
    }
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down (open connections).
#[derive(Clone, Debug)]
pub struct Gauge(Arc<AtomicI64>);

impl Gauge {
    pub fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub fn dec(&self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed);
    }
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
    /// Increments now and decrements when the guard is dropped (a connection's lifetime), so
    /// every exit path, panics included, gives the slot back.
    pub fn track(&self) -> GaugeGuard {
        self.inc();
        GaugeGuard(self.clone())
    }
}

/// See [`Gauge::track`].
#[derive(Debug)]
pub struct GaugeGuard(Gauge);

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A latency distribution.
#[derive(Clone, Debug)]
pub struct Histogram(Arc<HistogramCell>);

impl Histogram {
    pub fn observe(&self, d: Duration) {
        self.0.observe(d);
    }
}

macro_rules! vec_handle {
    ($vec:ident, $one:ident, $variant:ident) => {
        /// A labelled family; `with` returns the series for the given label values.
        #[derive(Clone, Debug)]
        pub struct $vec(Arc<Family>);

        impl $vec {
            pub fn with(&self, values: &[&str]) -> $one {
                match self.0.cell(values) {
                    Cell::$variant(c) => $one(c),
                    // `cell` creates cells of the family's own kind only.
                    _ => $one(Arc::new(Default::default())),
                }
            }
        }
    };
}

vec_handle!(CounterVec, Counter, Counter);
vec_handle!(GaugeVec, Gauge, Gauge);

/// A labelled histogram family.
#[derive(Clone, Debug)]
pub struct HistogramVec(Arc<Family>);

impl HistogramVec {
    pub fn with(&self, values: &[&str]) -> Histogram {
        match self.0.cell(values) {
            Cell::Histogram(h) => Histogram(h),
            _ => Histogram(Arc::new(HistogramCell::new(Arc::clone(&self.0.bounds)))),
        }
    }
}

#[cfg(test)]
mod tests;
