//! SEARCH results: matches in ascending order, as `* SEARCH` or `* ESEARCH` data (RFC 4731).

use super::seqset::compact;
use crate::proto::command::SearchReturn;
use crate::proto::response::{Data, Esearch};
use eider_model::types::{ModSeq, Uid};

/// What a search found, in ascending sequence (and so UID) order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchOutcome {
    /// (sequence number, UID) of each match.
    pub matches: Vec<(u32, Uid)>,
    /// Highest modseq among the matches, when the key used MODSEQ (RFC 7162 §3.1.5).
    pub highest_modseq: Option<ModSeq>,
}

impl SearchOutcome {
    /// Sequence numbers (SEARCH) or UIDs (UID SEARCH), ascending.
    pub fn numbers(&self, uid: bool) -> Vec<u32> {
        self.matches
            .iter()
            .map(|m| if uid { m.1.0 } else { m.0 })
            .collect()
    }

    /// The matched UIDs, for `RETURN (SAVE)` (RFC 5182 saves UIDs even for SEARCH).
    pub fn uids(&self) -> Vec<Uid> {
        self.matches.iter().map(|m| m.1).collect()
    }
}

/// `* SEARCH n n ... [(MODSEQ m)]`.
pub fn search_data(outcome: &SearchOutcome, uid: bool) -> Data {
    Data::Search {
        nums: outcome.numbers(uid),
        modseq: outcome.highest_modseq.map(|m| m.0),
    }
}

/// `* ESEARCH` data for `RETURN (returns)`. An empty list means ALL (RFC 4731 §3.1); with no
/// match MIN, MAX and ALL are omitted while COUNT is 0. The caller sets the TAG.
pub fn esearch(outcome: &SearchOutcome, uid: bool, returns: &[SearchReturn]) -> Esearch {
    let values = outcome.numbers(uid);
    let has = |r: SearchReturn| returns.contains(&r);
    let all = has(SearchReturn::All) || returns.is_empty();
    Esearch {
        tag: None,
        uid,
        min: values.first().copied().filter(|_| has(SearchReturn::Min)),
        max: values.last().copied().filter(|_| has(SearchReturn::Max)),
        count: has(SearchReturn::Count).then(|| u32::try_from(values.len()).unwrap_or(u32::MAX)),
        all: (all && !values.is_empty()).then(|| compact(&values)),
        modseq: outcome.highest_modseq.map(|m| m.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SearchReturn::*;

    #[test]
    fn esearch_table() {
        let outcome = |v: &[u32]| SearchOutcome {
            matches: v.iter().map(|&n| (n, Uid(n * 10))).collect(),
            highest_modseq: None,
        };
        let e = |min, max, count, all: Option<&str>| Esearch {
            min,
            max,
            count,
            all: all.map(str::to_string),
            ..Esearch::default()
        };
        let v: &[u32] = &[2, 3, 4, 9];
        let table: Vec<(&[u32], Vec<SearchReturn>, Esearch)> = vec![
            (
                v,
                vec![Min, Max, Count, All],
                e(Some(2), Some(9), Some(4), Some("2:4,9")),
            ),
            (v, vec![Min], e(Some(2), None, None, None)),
            (v, vec![Count], e(None, None, Some(4), None)),
            (v, vec![], e(None, None, None, Some("2:4,9"))),
            (v, vec![Save], e(None, None, None, None)),
            (
                &[],
                vec![Min, Max, Count, All],
                e(None, None, Some(0), None),
            ),
        ];
        for (values, returns, want) in table {
            assert_eq!(
                esearch(&outcome(values), false, &returns),
                want,
                "{values:?} {returns:?}"
            );
        }
        let uid = esearch(&outcome(&[1, 2]), true, &[All]);
        assert_eq!(uid.all.as_deref(), Some("10,20"));
        assert!(uid.uid);
    }
}
