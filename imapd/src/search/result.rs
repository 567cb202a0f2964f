//! SEARCH results: matches in ascending order and the ESEARCH `RETURN` data (RFC 4731).

use super::seqset::compact;
use eider_common::types::{ModSeq, Uid};

/// What a search found, in ascending sequence (and so UID) order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchOutcome {
    /// (sequence number, UID) of each match.
    pub matches: Vec<(u32, Uid)>,
    /// Highest modseq among the matches, when the key used MODSEQ (RFC 7162 §3.1.5).
    pub highest_modseq: Option<ModSeq>,
}

impl SearchOutcome {
    /// Sequence numbers, ascending (SEARCH).
    pub fn seqs(&self) -> Vec<u32> {
        self.matches.iter().map(|m| m.0).collect()
    }

    /// UIDs, ascending (UID SEARCH).
    pub fn uids(&self) -> Vec<u32> {
        self.matches.iter().map(|m| m.1.0).collect()
    }
}

/// Which `RETURN` options were asked for; `RETURN ()` means ALL (RFC 4731 §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReturnOptions {
    pub min: bool,
    pub max: bool,
    pub count: bool,
    pub all: bool,
}

/// The data of an `* ESEARCH` response; `None` fields are omitted. With no match MIN, MAX and
/// ALL are omitted and COUNT is 0 (RFC 4731 §3.1).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Esearch {
    pub min: Option<u32>,
    pub max: Option<u32>,
    pub count: Option<u32>,
    /// Compact sequence set, e.g. `1:3,5`.
    pub all: Option<String>,
}

impl Esearch {
    /// ESEARCH data for `values` (ascending: the output of [`SearchOutcome::seqs`] or
    /// [`SearchOutcome::uids`]).
    pub fn compute(values: &[u32], opts: ReturnOptions) -> Self {
        let all_default = !(opts.min || opts.max || opts.count || opts.all);
        Esearch {
            min: values.first().copied().filter(|_| opts.min),
            max: values.last().copied().filter(|_| opts.max),
            count: opts
                .count
                .then(|| u32::try_from(values.len()).unwrap_or(u32::MAX)),
            all: ((opts.all || all_default) && !values.is_empty()).then(|| compact(values)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn esearch_table() {
        let o = |min, max, count, all| ReturnOptions {
            min,
            max,
            count,
            all,
        };
        let e = |min, max, count, all: Option<&str>| Esearch {
            min,
            max,
            count,
            all: all.map(str::to_string),
        };
        let v: &[u32] = &[2, 3, 4, 9];
        let table = [
            (
                v,
                o(true, true, true, true),
                e(Some(2), Some(9), Some(4), Some("2:4,9")),
            ),
            (
                v,
                o(true, false, false, false),
                e(Some(2), None, None, None),
            ),
            (
                v,
                o(false, false, true, false),
                e(None, None, Some(4), None),
            ),
            (
                v,
                o(false, false, false, false),
                e(None, None, None, Some("2:4,9")),
            ),
            (
                &[][..],
                o(true, true, true, true),
                e(None, None, Some(0), None),
            ),
        ];
        for (values, opts, want) in table {
            assert_eq!(Esearch::compute(values, opts), want, "{values:?} {opts:?}");
        }
    }
}
