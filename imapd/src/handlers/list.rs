//! LIST (RFC 3501 §6.3.8) with LIST-EXTENDED selection and return options (RFC 5258),
//! SPECIAL-USE (RFC 6154), LIST-STATUS (RFC 5819) and CHILDREN (RFC 3348); LSUB (§6.3.9) and
//! Gmail's XLIST.
//!
//! Invariants: every mailbox is listed with `\HasChildren` or `\HasNoChildren`; a parent that
//! does not exist but has children is listed `\Noselect` (and `\NonExistent` in the extended
//! form); special-use attributes are always shown.

use super::list_match::{full_pattern, matches};
use super::status::status_items;
use super::{Exec, HResult, ok};
use crate::proto::command::List;
use crate::proto::mailbox::SEPARATOR;
use crate::proto::mutf7;
use crate::proto::response::{Data, ListEntry, Response};
use eider_model::Mailbox;
use std::collections::{BTreeMap, BTreeSet};

/// Every name in the hierarchy: the mailboxes and their (possibly missing) ancestors.
struct Tree<'a> {
    names: BTreeMap<String, Option<&'a Mailbox>>,
}

impl<'a> Tree<'a> {
    fn new(mailboxes: &'a [Mailbox]) -> Self {
        let mut names: BTreeMap<String, Option<&Mailbox>> = BTreeMap::new();
        for m in mailboxes {
            let mut prefix = String::new();
            let levels: Vec<&str> = m.path.split(SEPARATOR).collect();
            for level in &levels[..levels.len() - 1] {
                if !prefix.is_empty() {
                    prefix.push(SEPARATOR);
                }
                prefix.push_str(level);
                names.entry(prefix.clone()).or_insert(None);
            }
            names.insert(m.path.clone(), Some(m));
        }
        Tree { names }
    }

    fn children<'b>(
        &'b self,
        name: &'b str,
    ) -> impl Iterator<Item = (&'b String, &'b Option<&'a Mailbox>)> + 'b {
        let prefix = format!("{name}{SEPARATOR}");
        self.names
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
    }

    fn has_children(&self, name: &str) -> bool {
        self.children(name).next().is_some()
    }

    fn has_subscribed_child(&self, name: &str) -> bool {
        self.children(name)
            .any(|(_, m)| m.is_some_and(|m| m.subscribed))
    }
}

fn decode_pattern(bytes: &[u8], utf8: bool) -> String {
    if utf8 {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    mutf7::decode(bytes).unwrap_or_else(|_| String::from_utf8_lossy(bytes).into_owned())
}

pub async fn list(ex: &mut Exec<'_>, l: &List) -> HResult {
    let reference = decode_pattern(&l.reference, ex.utf8);
    let patterns: Vec<String> = l
        .patterns
        .iter()
        .map(|p| decode_pattern(p, ex.utf8))
        .collect();
    if !l.extended && patterns.iter().all(String::is_empty) {
        // RFC 3501 §6.3.8: an empty pattern asks for the separator and root.
        ex.wire.push(&Response::Data(Data::List(ListEntry {
            attributes: vec!["\\Noselect".into()],
            path: String::new(),
            child_info_subscribed: false,
        })));
        return ok("LIST completed");
    }
    let patterns: Vec<String> = patterns
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| full_pattern(&reference, p))
        .collect();
    let mailboxes = ex.store().list_mailboxes(ex.user.id).await?;
    let tree = Tree::new(&mailboxes);
    let sel = l.select;
    let show_subscribed = sel.subscribed || l.returns.subscribed;
    for (name, mailbox) in &tree.names {
        if !patterns.iter().any(|p| matches(p, name)) {
            continue;
        }
        let mut child_info = false;
        if sel.subscribed && !mailbox.is_some_and(|m| m.subscribed) {
            // RFC 5258 §3.5: with RECURSIVEMATCH a parent of subscribed mailboxes is listed.
            if sel.recursive_match && tree.has_subscribed_child(name) {
                child_info = true;
            } else {
                continue;
            }
        }
        if sel.special_use && !mailbox.is_some_and(|m| m.special_use.is_some()) {
            continue;
        }
        let mut attributes = Vec::new();
        match mailbox {
            None => {
                if l.extended {
                    attributes.push("\\NonExistent".to_owned());
                }
                attributes.push("\\Noselect".to_owned());
            }
            Some(m) => {
                if show_subscribed && m.subscribed {
                    attributes.push("\\Subscribed".to_owned());
                }
            }
        }
        attributes.push(
            if tree.has_children(name) {
                "\\HasChildren"
            } else {
                "\\HasNoChildren"
            }
            .to_owned(),
        );
        if let Some(su) = mailbox.and_then(|m| m.special_use) {
            attributes.push(su.as_imap().to_owned());
        }
        ex.wire.push(&Response::Data(Data::List(ListEntry {
            attributes,
            path: name.clone(),
            child_info_subscribed: child_info,
        })));
        if let (Some(items), Some(m)) = (&l.returns.status, mailbox) {
            let items = status_items(ex, m, items).await?;
            ex.wire.push(&Response::Data(Data::Status {
                path: name.clone(),
                items,
            }));
        }
    }
    ok("LIST completed")
}

/// LSUB, or XLIST when `xlist`.
pub async fn lsub(ex: &mut Exec<'_>, reference: &[u8], pattern: &[u8], xlist: bool) -> HResult {
    let reference = decode_pattern(reference, ex.utf8);
    let pattern = decode_pattern(pattern, ex.utf8);
    let verb = if xlist { "XLIST" } else { "LSUB" };
    if pattern.is_empty() {
        let entry = ListEntry {
            attributes: vec!["\\Noselect".into()],
            path: String::new(),
            child_info_subscribed: false,
        };
        ex.wire.push(&Response::Data(if xlist {
            Data::Xlist(entry)
        } else {
            Data::Lsub(entry)
        }));
        return ok(&format!("{verb} completed"));
    }
    let pattern = full_pattern(&reference, &pattern);
    let mailboxes = ex.store().list_mailboxes(ex.user.id).await?;
    let tree = Tree::new(&mailboxes);
    let listed: BTreeSet<&String> = tree.names.keys().collect();
    for name in listed {
        let mailbox = tree.names.get(name.as_str()).copied().flatten();
        if !matches(&pattern, name) {
            continue;
        }
        let entry = if xlist {
            let mut attributes = Vec::new();
            if mailbox.is_none() {
                attributes.push("\\Noselect".to_owned());
            }
            attributes.push(
                if tree.has_children(name) {
                    "\\HasChildren"
                } else {
                    "\\HasNoChildren"
                }
                .to_owned(),
            );
            if name == "INBOX" {
                attributes.push("\\Inbox".to_owned());
            }
            if let Some(su) = mailbox.and_then(|m| m.special_use) {
                attributes.push(su.as_imap().to_owned());
            }
            Data::Xlist(ListEntry {
                attributes,
                path: name.clone(),
                child_info_subscribed: false,
            })
        } else {
            let attributes = if mailbox.is_some_and(|m| m.subscribed) {
                Vec::new()
            } else if pattern.contains('%') && tree.has_subscribed_child(name) {
                // RFC 3501 §6.3.9: with `%`, a parent of subscribed mailboxes is listed
                // `\Noselect` when it is not subscribed itself.
                vec!["\\Noselect".to_owned()]
            } else {
                continue;
            };
            Data::Lsub(ListEntry {
                attributes,
                path: name.clone(),
                child_info_subscribed: false,
            })
        };
        ex.wire.push(&Response::Data(entry));
    }
    ok(&format!("{verb} completed"))
}
