//! The Prometheus text exposition format, version 0.0.4, of one or more snapshots.
//!
//! Several sources (this process, other processes' snapshots read from Redis) are merged by
//! family name: each family gets one `# HELP` and one `# TYPE` line followed by all its
//! samples from every source, as the format requires (all lines of a family are contiguous).
//! Each source's extra labels (`daemon`, `instance`) come first on its samples.
//!
//! Invariants: names that are not valid Prometheus metric or label names are dropped; a family
//! whose kind or label names differ from the first source's is dropped for that source (the
//! exposition stays parseable when processes of different versions publish); label values and
//! help texts are escaped (`\\`, `\"`, `\n`).

use super::{FamilySnapshot, Kind, Snapshot, Value};
use std::fmt::Write;

/// One snapshot with the labels that identify where it comes from.
#[derive(Clone, Debug)]
pub struct Source<'a> {
    pub labels: Vec<(&'a str, &'a str)>,
    pub snapshot: &'a Snapshot,
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
pub fn valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__` (reserved).
pub fn valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    !name.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn escape_label(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A float as the format writes it (`+Inf`, `-Inf`, `NaN`).
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        v.to_string()
    }
}

/// `{a="x",b="y"}` or nothing when there are no labels.
fn labels(pairs: &[(&str, &str)], out: &mut String) {
    if pairs.is_empty() {
        return;
    }
    out.push('{');
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push_str("=\"");
        escape_label(value, out);
        out.push('"');
    }
    out.push('}');
}

fn sample(name: &str, suffix: &str, pairs: &[(&str, &str)], value: &str, out: &mut String) {
    out.push_str(name);
    out.push_str(suffix);
    labels(pairs, out);
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Whether a family from a later source can be merged into the first one seen.
fn compatible(first: &FamilySnapshot, other: &FamilySnapshot) -> bool {
    first.kind == other.kind
        && first.labels == other.labels
        && (first.kind != Kind::Histogram || first.bounds == other.bounds)
}

fn well_formed(f: &FamilySnapshot, extra: &[(&str, &str)]) -> bool {
    valid_metric_name(&f.name)
        && f.labels.iter().all(|l| valid_label_name(l) && l != "le")
        && !f.labels.iter().any(|l| extra.iter().any(|(e, _)| e == l))
        && f.series.iter().all(|s| s.values.len() == f.labels.len())
        && f.bounds.windows(2).all(|w| w[0] < w[1])
        && f.series.iter().all(|s| match &s.value {
            Value::Histogram { buckets, .. } => {
                f.kind == Kind::Histogram && buckets.len() == f.bounds.len()
            }
            Value::Counter(_) => f.kind == Kind::Counter,
            Value::Gauge(_) => f.kind == Kind::Gauge,
        })
}

/// Renders the samples of `f` with `extra` labels first.
fn family_samples(f: &FamilySnapshot, extra: &[(&str, &str)], out: &mut String) {
    for s in &f.series {
        let mut pairs: Vec<(&str, &str)> = extra.to_vec();
        pairs.extend(
            f.labels
                .iter()
                .map(String::as_str)
                .zip(s.values.iter().map(String::as_str)),
        );
        match &s.value {
            Value::Counter(v) => sample(&f.name, "", &pairs, &v.to_string(), out),
            Value::Gauge(v) => sample(&f.name, "", &pairs, &v.to_string(), out),
            Value::Histogram {
                buckets,
                count,
                sum,
            } => {
                for (bound, n) in f.bounds.iter().zip(buckets) {
                    let le = float(*bound);
                    let mut with_le = pairs.clone();
                    with_le.push(("le", &le));
                    sample(&f.name, "_bucket", &with_le, &n.to_string(), out);
                }
                let mut with_le = pairs.clone();
                with_le.push(("le", "+Inf"));
                sample(&f.name, "_bucket", &with_le, &count.to_string(), out);
                sample(&f.name, "_sum", &pairs, &float(*sum), out);
                sample(&f.name, "_count", &pairs, &count.to_string(), out);
            }
        }
    }
}

/// The exposition of every source, families in order of first appearance.
pub fn render(sources: &[Source<'_>]) -> String {
    // name → (the first source's family, the rendered samples of every source)
    let mut order: Vec<(&FamilySnapshot, String)> = Vec::new();
    for source in sources {
        for f in &source.snapshot.families {
            if !well_formed(f, &source.labels) {
                continue;
            }
            let slot = match order.iter().position(|(first, _)| first.name == f.name) {
                Some(i) => i,
                None => {
                    order.push((f, String::new()));
                    order.len() - 1
                }
            };
            let (first, samples) = &mut order[slot];
            if compatible(first, f) {
                family_samples(f, &source.labels, samples);
            }
        }
    }
    let mut out = String::new();
    for (f, samples) in order {
        let _ = writeln!(out, "# HELP {} {}", f.name, escape_help(&f.help));
        let _ = writeln!(out, "# TYPE {} {}", f.name, f.kind.as_str());
        out.push_str(&samples);
    }
    out
}
