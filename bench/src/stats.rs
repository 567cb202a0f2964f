//! Latency percentiles and peak resident memory of a process (from `/proc/PID/status`).

use std::time::Duration;

/// Collected latencies of one run.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Latencies) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `p`-th percentile (0..=100) in milliseconds.
    pub fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.sort_unstable();
        let rank = ((p / 100.0) * (self.0.len() - 1) as f64).round() as usize;
        self.0[rank.min(self.0.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// Resident set size and its high-water mark of a process, in KiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    pub rss_kib: u64,
    pub hwm_kib: u64,
}

/// Reads `/proc/PID/status`; `None` if the process is gone.
pub fn memory(pid: u32) -> Option<Memory> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Some(Memory {
        rss_kib: field("VmRSS:"),
        hwm_kib: field("VmHWM:"),
    })
}

/// Total resident memory of a process and all its descendants (Dovecot forks workers), KiB.
pub fn tree_rss_kib(pid: u32) -> u64 {
    descendants(pid)
        .into_iter()
        .filter_map(memory)
        .map(|m| m.rss_kib)
        .sum()
}

/// `pid` and every live descendant of it.
fn descendants(pid: u32) -> Vec<u32> {
    let children = child_map();
    let mut out = Vec::new();
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        out.push(p);
        stack.extend(children.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
    }
    out
}

/// CPU time (user + system) consumed by a process and its descendants, in seconds: each live
/// process's own time plus that of its reaped children (`cutime`/`cstime`), so short-lived
/// workers (Dovecot's `imap` process per connection) are counted once they exit and are waited
/// for, and each process exactly once.
pub fn tree_cpu_secs(pid: u32) -> f64 {
    let ticks = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    for p in descendants(pid) {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat"))
            && let Some((_, rest)) = stat.rsplit_once(')')
        {
            let f: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15; `rest` starts at field 3.
            let ut: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let st: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let cut: f64 = f.get(13).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let cst: f64 = f.get(14).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            total += (ut + st + cut + cst) / ticks;
        }
    }
    total
}

fn child_map() -> Vec<(u32, u32)> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut l = Latencies::default();
        for ms in 1..=100 {
            l.push(Duration::from_millis(ms));
        }
        assert!((l.percentile_ms(50.0) - 51.0).abs() < 1.01);
        assert!((l.percentile_ms(99.0) - 99.0).abs() < 1.01);
    }

    #[test]
    fn own_memory_is_readable() {
        let m = memory(std::process::id()).expect("own /proc entry");
        assert!(m.rss_kib > 0 && m.hwm_kib >= m.rss_kib);
    }
}
