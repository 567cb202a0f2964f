//! The reference store's records and outbox: kept apart from `State` because they never take
//! part in mail transactions.

use eider_model::OutboxEntry;
use eider_model::types::UnixTime;
use eider_store::error::StoreResult;
use std::collections::BTreeMap;

use super::state::now;

/// Records and outbox: outside `State`, since they never take part in mail transactions.
#[derive(Default)]
pub(super) struct Side {
    /// key → (value, expires).
    records: BTreeMap<String, (Vec<u8>, Option<UnixTime>)>,
    /// id → (entry, expires, lease end in ms; `None` once done).
    outbox: BTreeMap<u64, (OutboxEntry, UnixTime, Option<i64>)>,
    next_outbox: u64,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Side {
    pub fn outbox_insert(&mut self, at: UnixTime, payload: Vec<u8>, expires: UnixTime) -> u64 {
        self.next_outbox += 1;
        let id = self.next_outbox;
        let entry = OutboxEntry {
            id,
            at,
            claims: 0,
            payload,
        };
        self.outbox.insert(id, (entry, expires, Some(0)));
        id
    }

    pub fn record_put(
        &mut self,
        key: &str,
        value: Vec<u8>,
        expires: Option<UnixTime>,
    ) -> StoreResult<()> {
        self.records.insert(key.to_string(), (value, expires));
        Ok(())
    }

    pub fn record_get(&self, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let now = now();
        Ok(self
            .records
            .get(key)
            .filter(|(_, e)| e.is_none_or(|e| e > now))
            .map(|(v, _)| v.clone()))
    }

    pub fn record_delete(&mut self, key: &str) -> StoreResult<bool> {
        let now = now();
        Ok(self
            .records
            .remove(key)
            .is_some_and(|(_, e)| e.is_none_or(|e| e > now)))
    }

    pub fn record_list(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        let now = now();
        Ok(self
            .records
            .iter()
            .filter(|(k, (_, e))| {
                k.starts_with(prefix)
                    && after.is_none_or(|a| k.as_str() > a)
                    && e.is_none_or(|e| e > now)
            })
            .take(limit)
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect())
    }

    pub fn record_delete_prefix(&mut self, prefix: &str) -> StoreResult<u64> {
        let before = self.records.len();
        self.records.retain(|k, _| !k.starts_with(prefix));
        Ok((before - self.records.len()) as u64)
    }

    pub fn outbox_push(&mut self, payload: Vec<u8>, expires: UnixTime) -> StoreResult<u64> {
        self.next_outbox += 1;
        let id = self.next_outbox;
        let entry = OutboxEntry {
            id,
            at: now(),
            claims: 0,
            payload,
        };
        self.outbox.insert(id, (entry, expires, Some(0)));
        Ok(id)
    }

    pub fn outbox_after(&self, after: u64, limit: usize) -> StoreResult<Vec<OutboxEntry>> {
        let now = now();
        Ok(self
            .outbox
            .range(after.saturating_add(1)..)
            .filter(|(_, (_, e, _))| *e > now)
            .take(limit)
            .map(|(_, (entry, _, _))| entry.clone())
            .collect())
    }

    pub fn outbox_claim(
        &mut self,
        lease: std::time::Duration,
        limit: usize,
    ) -> StoreResult<Vec<OutboxEntry>> {
        let (now, ms) = (now(), now_ms());
        let until = ms + i64::try_from(lease.as_millis()).expect("lease");
        let mut out = Vec::new();
        for (entry, expires, lease) in self.outbox.values_mut() {
            if out.len() >= limit {
                break;
            }
            if *expires > now && lease.is_some_and(|l| l <= ms) {
                *lease = Some(until);
                entry.claims += 1;
                out.push(entry.clone());
            }
        }
        Ok(out)
    }

    pub fn outbox_done(&mut self, id: u64) -> StoreResult<()> {
        if let Some((_, _, lease)) = self.outbox.get_mut(&id) {
            *lease = None;
        }
        Ok(())
    }
}
