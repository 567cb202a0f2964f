//! Generic records with expiry and the event outbox of the embedded store.
//!
//! Records: `records` (key → value and expiry) plus `record_expiry` ((expires, key) → ()), so
//! pruning expired records needs no scan. Outbox: `outbox` (id → row), `outbox_pending`
//! ((lease end ms, id) → ()) holding exactly the undelivered entries, so a claim reads the
//! front of that table, and `outbox_expiry` ((expires, id) → ()). Ids come from the `outbox`
//! counter; the single writer commits them in order, which gives the "visible in id order"
//! rule of the trait.
//!
//! Invariant: an index row exists exactly for the rows it indexes (same transaction). Expired
//! rows read as absent and are removed a few at a time by later writes ([`prune`]).

use super::tables::{self, Tables, dec, enc};
use crate::error::StoreResult;
use eider_model::OutboxEntry;
use eider_model::types::UnixTime;
use redb::{ReadTransaction, ReadableTable};
use serde::{Deserialize, Serialize};

/// Most expired rows of each kind removed by one write.
const PRUNE_BATCH: usize = 64;

#[derive(Serialize, Deserialize)]
struct Rec {
    expires: Option<UnixTime>,
    value: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct OutRow {
    at: UnixTime,
    expires: UnixTime,
    claims: u32,
    /// Lease end (unix ms) while undelivered; `None` once done.
    lease: Option<i64>,
    payload: Vec<u8>,
}

/// Now in unix milliseconds (lease ends).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn live(r: &Rec, now: UnixTime) -> bool {
    r.expires.is_none_or(|e| e > now)
}

/// Removes up to [`PRUNE_BATCH`] expired records and outbox entries.
fn prune(t: &mut Tables<'_>, now: UnixTime) -> StoreResult<()> {
    let mut keys = Vec::new();
    for row in t.record_expiry.range((i64::MIN, "")..(now + 1, ""))? {
        let (k, _) = row?;
        let (at, key) = k.value();
        keys.push((at, key.to_string()));
        if keys.len() >= PRUNE_BATCH {
            break;
        }
    }
    for (at, key) in keys {
        t.record_expiry.remove((at, key.as_str()))?;
        t.records.remove(key.as_str())?;
    }
    let mut ids = Vec::new();
    for row in t.outbox_expiry.range((i64::MIN, 0)..(now + 1, 0))? {
        let (k, _) = row?;
        ids.push(k.value());
        if ids.len() >= PRUNE_BATCH {
            break;
        }
    }
    for (at, id) in ids {
        t.outbox_expiry.remove((at, id))?;
        if let Some(g) = t.outbox.remove(id)? {
            let row: OutRow = dec(g.value())?;
            if let Some(lease) = row.lease {
                t.outbox_pending.remove((lease, id))?;
            }
        }
    }
    Ok(())
}

/// Removes the record under `key` and its expiry row; whether an unexpired one was there.
fn remove(t: &mut Tables<'_>, key: &str, now: UnixTime) -> StoreResult<bool> {
    let Some(old) = t.records.remove(key)? else {
        return Ok(false);
    };
    let old: Rec = dec(old.value())?;
    if let Some(e) = old.expires {
        t.record_expiry.remove((e, key))?;
    }
    Ok(live(&old, now))
}

pub fn put(
    t: &mut Tables<'_>,
    now: UnixTime,
    key: &str,
    value: &[u8],
    expires: Option<UnixTime>,
) -> StoreResult<()> {
    prune(t, now)?;
    remove(t, key, now)?;
    let rec = Rec {
        expires,
        value: value.to_vec(),
    };
    t.records.insert(key, enc(&rec)?.as_slice())?;
    if let Some(e) = expires {
        t.record_expiry.insert((e, key), ())?;
    }
    Ok(())
}

pub fn delete(t: &mut Tables<'_>, now: UnixTime, key: &str) -> StoreResult<bool> {
    remove(t, key, now)
}

pub fn delete_prefix(t: &mut Tables<'_>, now: UnixTime, prefix: &str) -> StoreResult<u64> {
    let mut keys = Vec::new();
    for row in t.records.range(prefix..)? {
        let (k, _) = row?;
        let key = k.value();
        if !key.starts_with(prefix) {
            break;
        }
        keys.push(key.to_string());
    }
    for key in &keys {
        remove(t, key, now)?;
    }
    Ok(keys.len() as u64)
}

pub fn get(txn: &ReadTransaction, now: UnixTime, key: &str) -> StoreResult<Option<Vec<u8>>> {
    let table = txn.open_table(tables::RECORDS)?;
    let rec: Option<Rec> = tables::load(&table, key)?;
    Ok(rec.filter(|r| live(r, now)).map(|r| r.value))
}

pub fn list(
    txn: &ReadTransaction,
    now: UnixTime,
    prefix: &str,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<(String, Vec<u8>)>> {
    let table = txn.open_table(tables::RECORDS)?;
    let mut out = Vec::new();
    for row in table.range(prefix..)? {
        if out.len() >= limit {
            break;
        }
        let (k, v) = row?;
        let key = k.value();
        if !key.starts_with(prefix) {
            break;
        }
        if after.is_some_and(|a| key <= a) {
            continue;
        }
        let rec: Rec = dec(v.value())?;
        if live(&rec, now) {
            out.push((key.to_string(), rec.value));
        }
    }
    Ok(out)
}

pub fn push(
    t: &mut Tables<'_>,
    now: UnixTime,
    payload: &[u8],
    expires: UnixTime,
) -> StoreResult<u64> {
    prune(t, now)?;
    let id = t.next_id("outbox")?;
    let row = OutRow {
        at: now,
        expires,
        claims: 0,
        lease: Some(0),
        payload: payload.to_vec(),
    };
    t.outbox.insert(id, enc(&row)?.as_slice())?;
    t.outbox_pending.insert((0, id), ())?;
    t.outbox_expiry.insert((expires, id), ())?;
    Ok(id)
}

fn entry(id: u64, row: OutRow) -> OutboxEntry {
    OutboxEntry {
        id,
        at: row.at,
        claims: row.claims,
        payload: row.payload,
    }
}

pub fn after(
    txn: &ReadTransaction,
    now: UnixTime,
    after: u64,
    limit: usize,
) -> StoreResult<Vec<OutboxEntry>> {
    let table = txn.open_table(tables::OUTBOX)?;
    let mut out = Vec::new();
    let Some(start) = after.checked_add(1) else {
        return Ok(out);
    };
    for row in table.range(start..)? {
        if out.len() >= limit {
            break;
        }
        let (k, v) = row?;
        let row: OutRow = dec(v.value())?;
        if row.expires > now {
            out.push(entry(k.value(), row));
        }
    }
    Ok(out)
}

pub fn claim(
    t: &mut Tables<'_>,
    now: UnixTime,
    now_ms: i64,
    lease_ms: i64,
    limit: usize,
) -> StoreResult<Vec<OutboxEntry>> {
    let mut due = Vec::new();
    for row in t.outbox_pending.range((i64::MIN, 0)..=(now_ms, u64::MAX))? {
        let (k, _) = row?;
        due.push(k.value());
    }
    // Oldest first: the pending table is ordered by lease end, not by id.
    due.sort_by_key(|(_, id)| *id);
    let mut out = Vec::new();
    for (lease, id) in due {
        if out.len() >= limit {
            break;
        }
        let Some(mut row) = tables::load::<u64, OutRow>(&t.outbox, id)? else {
            t.outbox_pending.remove((lease, id))?;
            continue;
        };
        if row.expires <= now {
            continue;
        }
        let until = now_ms.saturating_add(lease_ms);
        t.outbox_pending.remove((lease, id))?;
        t.outbox_pending.insert((until, id), ())?;
        row.lease = Some(until);
        row.claims += 1;
        t.outbox.insert(id, enc(&row)?.as_slice())?;
        out.push(entry(id, row));
    }
    Ok(out)
}

pub fn done(t: &mut Tables<'_>, id: u64) -> StoreResult<()> {
    let Some(mut row) = tables::load::<u64, OutRow>(&t.outbox, id)? else {
        return Ok(());
    };
    if let Some(lease) = row.lease.take() {
        t.outbox_pending.remove((lease, id))?;
        t.outbox.insert(id, enc(&row)?.as_slice())?;
    }
    Ok(())
}
