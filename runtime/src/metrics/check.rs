//! A strict reader of the Prometheus text format 0.0.4, for tests (`promtool` is not installed
//! here): it rejects anything a Prometheus server would refuse or misread, and returns the
//! samples so tests can look values up.
//!
//! Checked: line syntax (names, label escapes, float values), one `# TYPE` and at most one
//! `# HELP` per family, `# TYPE` before the family's samples, each family's lines contiguous,
//! no duplicate series, counters non-negative, histogram samples named `_bucket`/`_sum`/`_count`
//! with an `le` label on buckets, buckets cumulative and ending with `+Inf` equal to `_count`.

use super::{valid_label_name, valid_metric_name};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One sample line.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

impl Sample {
    /// Whether every `(name, value)` of `want` is among the labels.
    pub fn has(&self, want: &[(&str, &str)]) -> bool {
        want.iter()
            .all(|(k, v)| self.labels.get(*k).is_some_and(|x| x == v))
    }
}

/// The sum of the samples named `name` whose labels include `want`.
pub fn sum(samples: &[Sample], name: &str, want: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name && s.has(want))
        .map(|s| s.value)
        .sum()
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v.parse::<f64>().map_err(|_| format!("bad value {v:?}")),
    }
}

/// `name{a="x",b="y"} value [timestamp]`
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !valid_metric_name(name) {
        return Err(format!("bad metric name {name:?}"));
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(r) = rest.strip_prefix('{') {
        let mut chars = r.char_indices().peekable();
        let mut end = None;
        while let Some(&(i, c)) = chars.peek() {
            if c == '}' {
                end = Some(i + 1);
                break;
            }
            let start = i;
            while chars.peek().is_some_and(|&(_, c)| c != '=') {
                chars.next();
            }
            let eq = chars.next().ok_or("label without =")?.0;
            let lname = &r[start..eq];
            if !valid_label_name(lname) {
                return Err(format!("bad label name {lname:?}"));
            }
            if chars.next().map(|(_, c)| c) != Some('"') {
                return Err("label value not quoted".into());
            }
            let mut value = String::new();
            loop {
                match chars.next().ok_or("unterminated label value")?.1 {
                    '"' => break,
                    '\\' => match chars.next().ok_or("dangling escape")?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    '\n' => return Err("newline in label value".into()),
                    c => value.push(c),
                }
            }
            if labels.insert(lname.to_owned(), value).is_some() {
                return Err(format!("duplicate label {lname}"));
            }
            match chars.next().map(|(_, c)| c) {
                Some(',') => {}
                Some('}') => {
                    end = chars.peek().map_or(Some(r.len()), |&(i, _)| Some(i));
                    break;
                }
                _ => return Err("expected , or }".into()),
            }
        }
        rest = &r[end.ok_or("unterminated labels")?..];
    }
    let mut parts = rest
        .strip_prefix(' ')
        .ok_or("no space before value")?
        .split(' ');
    let value = parse_value(parts.next().ok_or("no value")?)?;
    if let Some(ts) = parts.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("bad timestamp {ts:?}"))?;
    }
    if parts.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample {
        name: name.to_owned(),
        labels,
        value,
    })
}

/// The family a sample belongs to, given the declared types.
fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> &'a str {
    for suffix in ["_bucket", "_sum", "_count"] {
        if let Some(base) = name.strip_suffix(suffix)
            && types.get(base).is_some_and(|t| t == "histogram")
        {
            return base;
        }
    }
    name
}

/// Parses and checks `text`; the error names the offending line.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps = BTreeSet::new();
    let mut finished = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut samples = Vec::new();
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let err = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.is_empty() {
            continue;
        }
        let mut enter = |family: &str| -> Result<(), String> {
            if current.as_deref() != Some(family) {
                if finished.contains(family) {
                    return Err(format!("family {family} is not contiguous"));
                }
                if let Some(prev) = current.replace(family.to_owned()) {
                    finished.insert(prev);
                }
            }
            Ok(())
        };
        if let Some(comment) = line.strip_prefix('#') {
            let mut words = comment.trim_start().splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("HELP"), Some(name), _) => {
                    enter(name).map_err(err)?;
                    if !helps.insert(name.to_owned()) {
                        return Err(err("second HELP".into()));
                    }
                }
                (Some("TYPE"), Some(name), Some(kind)) => {
                    enter(name).map_err(err)?;
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(err(format!("unknown type {kind}")));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(err("second TYPE".into()));
                    }
                }
                _ => {}
            }
            continue;
        }
        let s = parse_sample(line).map_err(err)?;
        let family = family_of(&s.name, &types).to_owned();
        enter(&family).map_err(err)?;
        let kind = types.get(&family).map(String::as_str).unwrap_or("untyped");
        if kind == "counter" && (s.value.is_nan() || s.value < 0.0) {
            return Err(err("negative counter".into()));
        }
        if kind == "histogram" {
            if s.name == family {
                return Err(err("histogram sample without _bucket/_sum/_count".into()));
            }
            if s.name.ends_with("_bucket") != s.labels.contains_key("le") {
                return Err(err("le label only and always on _bucket".into()));
            }
        }
        if !seen.insert((s.name.clone(), s.labels.clone())) {
            return Err(err("duplicate series".into()));
        }
        samples.push(s);
    }
    check_histograms(&samples, &types)?;
    Ok(samples)
}

/// A histogram series: its family and its labels other than `le`.
type SeriesKey = (String, Vec<(String, String)>);

/// Buckets cumulative, `+Inf` present and equal to `_count`, per series.
fn check_histograms(samples: &[Sample], types: &HashMap<String, String>) -> Result<(), String> {
    // (family, labels without le) → [(le, value)]
    let mut buckets: BTreeMap<SeriesKey, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for s in samples {
        let family = family_of(&s.name, types);
        if types.get(family).is_none_or(|t| t != "histogram") {
            continue;
        }
        let key_labels: Vec<(String, String)> = s
            .labels
            .iter()
            .filter(|(k, _)| *k != "le")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let key = (family.to_owned(), key_labels);
        if s.name.ends_with("_bucket") {
            let le = s.labels.get("le").map(String::as_str).unwrap_or_default();
            buckets
                .entry(key)
                .or_default()
                .push((parse_value(le)?, s.value));
        } else if s.name.ends_with("_count") {
            counts.insert(key, s.value);
        }
    }
    for (key, list) in &buckets {
        if list.windows(2).any(|w| w[0].0 >= w[1].0 || w[0].1 > w[1].1) {
            return Err(format!("{key:?}: buckets not increasing and cumulative"));
        }
        let Some(&(le, last)) = list.last() else {
            continue;
        };
        if le != f64::INFINITY || counts.get(key) != Some(&last) {
            return Err(format!(
                "{key:?}: +Inf bucket missing or not equal to _count"
            ));
        }
    }
    Ok(())
}
