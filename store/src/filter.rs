//! Evaluation of a user's delivery filters (WildDuck style) against a parsed message.
//!
//! Rule: filters are tried in order; disabled ones are skipped. Every matching filter adds its
//! flags (`seen`, `flagged`); the first matching filter that files into a mailbox or discards
//! decides where the message goes, and later ones cannot move it again. A condition matches
//! case-insensitively as a substring of the decoded header value; a filter with no condition
//! never matches (an empty query is a mistake, not "match everything").

use eider_model::{Filter, FilterQuery, HeaderField, MessageMeta};

/// What the filters decided for one message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub mailbox: Option<String>,
    pub seen: bool,
    pub flagged: bool,
    pub discard: bool,
}

/// Applies `filters` to a message of `size` bytes.
pub fn evaluate(filters: &[Filter], meta: &MessageMeta, size: u64) -> Outcome {
    let mut out = Outcome::default();
    let mut placed = false;
    for f in filters.iter().filter(|f| !f.disabled) {
        if !matches(&f.query, meta, size) {
            continue;
        }
        out.seen |= f.action.seen;
        out.flagged |= f.action.flagged;
        if placed {
            continue;
        }
        if f.action.discard {
            out.discard = true;
            placed = true;
        } else if let Some(mb) = &f.action.mailbox {
            out.mailbox = Some(mb.clone());
            placed = true;
        }
    }
    out
}

fn matches(q: &FilterQuery, meta: &MessageMeta, size: u64) -> bool {
    let mut any = false;
    let mut check = |ok: bool| {
        any = true;
        ok
    };
    let headers = &meta.headers;
    if let Some(s) = &q.from
        && !check(header_contains(headers, &["from"], s))
    {
        return false;
    }
    if let Some(s) = &q.to
        && !check(header_contains(headers, &["to", "cc"], s))
    {
        return false;
    }
    if let Some(s) = &q.subject
        && !check(header_contains(headers, &["subject"], s))
    {
        return false;
    }
    if let Some((name, s)) = &q.header
        && !check(header_contains(headers, &[name.to_lowercase().as_str()], s))
    {
        return false;
    }
    if let Some(n) = q.larger
        && !check(size > n)
    {
        return false;
    }
    if let Some(n) = q.smaller
        && !check(size < n)
    {
        return false;
    }
    if let Some(want) = q.has_attachment
        && !check(meta.has_attachments == want)
    {
        return false;
    }
    any
}

fn header_contains(headers: &[HeaderField], names: &[&str], needle: &str) -> bool {
    let needle = needle.to_lowercase();
    headers
        .iter()
        .filter(|h| names.iter().any(|n| h.name.eq_ignore_ascii_case(n)))
        .any(|h| h.value.to_lowercase().contains(&needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use eider_model::FilterAction;

    fn meta(pairs: &[(&str, &str)], attach: bool) -> MessageMeta {
        MessageMeta {
            headers: pairs
                .iter()
                .map(|(n, v)| HeaderField {
                    name: n.to_string(),
                    value: v.to_string(),
                })
                .collect(),
            has_attachments: attach,
            ..Default::default()
        }
    }

    fn filter(query: FilterQuery, action: FilterAction) -> Filter {
        Filter {
            name: "f".into(),
            disabled: false,
            query,
            action,
        }
    }

    #[test]
    fn conditions_and_actions() {
        let m = meta(
            &[
                ("from", "Bob <BOB@lists.example>"),
                ("cc", "team@example.org"),
                ("subject", "Weekly Report"),
                ("x-list", "mips"),
            ],
            true,
        );
        let file = |mb: &str| FilterAction {
            mailbox: Some(mb.into()),
            ..Default::default()
        };
        let cases: Vec<(Vec<Filter>, Outcome)> = vec![
            (vec![], Outcome::default()),
            // Empty query never matches.
            (
                vec![filter(FilterQuery::default(), file("x"))],
                Outcome::default(),
            ),
            (
                vec![filter(
                    FilterQuery {
                        from: Some("bob@LISTS".into()),
                        ..Default::default()
                    },
                    file("Lists"),
                )],
                Outcome {
                    mailbox: Some("Lists".into()),
                    ..Default::default()
                },
            ),
            // To matches Cc too; all conditions must hold.
            (
                vec![filter(
                    FilterQuery {
                        to: Some("team@".into()),
                        subject: Some("nope".into()),
                        ..Default::default()
                    },
                    file("x"),
                )],
                Outcome::default(),
            ),
            (
                vec![
                    filter(
                        FilterQuery {
                            header: Some(("X-List".into(), "MIPS".into())),
                            ..Default::default()
                        },
                        FilterAction {
                            seen: true,
                            ..Default::default()
                        },
                    ),
                    filter(
                        FilterQuery {
                            larger: Some(10),
                            ..Default::default()
                        },
                        file("Big"),
                    ),
                    filter(
                        FilterQuery {
                            has_attachment: Some(true),
                            ..Default::default()
                        },
                        file("Later"),
                    ),
                    filter(
                        FilterQuery {
                            subject: Some("weekly".into()),
                            ..Default::default()
                        },
                        FilterAction {
                            flagged: true,
                            discard: true,
                            ..Default::default()
                        },
                    ),
                ],
                Outcome {
                    mailbox: Some("Big".into()),
                    seen: true,
                    flagged: true,
                    discard: false,
                },
            ),
            (
                vec![filter(
                    FilterQuery {
                        smaller: Some(10),
                        ..Default::default()
                    },
                    FilterAction {
                        discard: true,
                        ..Default::default()
                    },
                )],
                Outcome::default(),
            ),
        ];
        for (filters, want) in cases {
            assert_eq!(evaluate(&filters, &m, 100), want, "{filters:?}");
        }
        let mut disabled = filter(
            FilterQuery {
                from: Some("bob".into()),
                ..Default::default()
            },
            file("x"),
        );
        disabled.disabled = true;
        assert_eq!(evaluate(&[disabled], &m, 100), Outcome::default());
    }
}
