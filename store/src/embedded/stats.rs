//! Where the embedded store's bytes go: per redb table, the number of entries, the bytes of
//! keys and values as stored, and redb's own page accounting; plus a breakdown of the message
//! body records (`bodies`) into their parts. Read-only (one read transaction, a full scan of
//! every table): an operator and benchmark tool (`eider db stats`), never on a serving path.
//!
//! Invariant: [`table_usage_all`] lists every table of [`super::tables`] (a test checks it
//! against redb's own list), so the per-table sums account for all user data in the file.

use super::messages::MessageBody;
use super::stats_blobs::{self, BlobRoles, Roles};
use super::tables::{self, dec, enc};
use super::{DB_FILE, EmbeddedStore};
use crate::error::{StoreError, StoreResult};
use redb::{
    Key, ReadTransaction, ReadableTable, ReadableTableMetadata, TableDefinition, TableHandle, Value,
};
use serde::Serialize;
use std::collections::HashSet;

/// The zstd level chunks are compressed with (`content/codec.rs`), used here to estimate what
/// compressing the body records would save.
const ZSTD_LEVEL: i32 = 3;

/// Storage usage of the whole database file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DbStats {
    /// Size of `eider.redb` on disk (apparent size).
    pub file_bytes: u64,
    /// One row per table, in the order of `docs/storage.md`.
    pub tables: Vec<TableUsage>,
    /// The message body records taken apart.
    pub bodies: BodyBreakdown,
    /// The blobs by role (skeleton, attachment, search text).
    pub blobs: BlobRoles,
}

impl DbStats {
    /// Bytes of the file in the tables' pages; the rest is free pages, redb's own tables and
    /// the header.
    pub fn allocated_bytes(&self) -> u64 {
        self.tables.iter().map(|t| t.allocated_bytes).sum()
    }
}

/// One table's entries and bytes.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TableUsage {
    pub name: String,
    pub entries: u64,
    /// Sum of the encoded key lengths.
    pub key_bytes: u64,
    /// Sum of the encoded value lengths.
    pub value_bytes: u64,
    /// redb: bytes of keys and values in leaf pages (with per-entry overhead).
    pub stored_bytes: u64,
    /// redb: branch-page keys and other metadata.
    pub metadata_bytes: u64,
    /// redb: unused bytes inside the table's pages.
    pub fragmented_bytes: u64,
    /// The table's pages in the file: stored + metadata + fragmented. (A value larger than a
    /// page takes one page of a larger order, so pages alone do not give the bytes.)
    pub allocated_bytes: u64,
    pub leaf_pages: u64,
    pub branch_pages: u64,
    pub tree_height: u32,
}

/// The `bodies` records (segments, SHA-256 and parsed metadata per message) by component, each
/// the postcard length of that component alone.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BodyBreakdown {
    pub records: u64,
    /// Sum of the whole records (equals the `bodies` table's `value_bytes`).
    pub total_bytes: u64,
    /// `segments`: inline prefixes and blob references.
    pub segments_bytes: u64,
    /// `meta.root`: the MIME part tree with offsets and parameters.
    pub part_tree_bytes: u64,
    /// `meta.envelope`.
    pub envelope_bytes: u64,
    /// `meta.headers`: the decoded header fields.
    pub headers_bytes: u64,
    /// The rest of `meta` (ids, references, subject, preview, ...) and the SHA-256.
    pub other_bytes: u64,
    /// Sum of each record compressed alone with zstd level 3.
    pub zstd_bytes: u64,
    /// Distinct delivered contents (by the SHA-256 of the message as received, which all
    /// recipients of one delivery share).
    pub distinct_contents: u64,
    /// Sum of the records of the first message of each distinct content: what the records
    /// would take with the metadata kept once per content.
    pub distinct_bytes: u64,
}

impl EmbeddedStore {
    /// Entries and bytes per table and the body-record breakdown, from one read snapshot.
    /// Scans every table: seconds on a large store.
    pub async fn storage_stats(&self) -> StoreResult<DbStats> {
        let path = self.dir.join(DB_FILE);
        let mut stats = self.read(collect).await?;
        stats.file_bytes = std::fs::metadata(&path)
            .map_err(|e| StoreError::Internal(format!("reading {}: {e}", path.display())))?
            .len();
        tracing::debug!(
            file_bytes = stats.file_bytes,
            tables = stats.tables.len(),
            "storage stats"
        );
        Ok(stats)
    }
}

fn collect(txn: &ReadTransaction) -> StoreResult<DbStats> {
    let mut roles = Roles::new();
    let bodies = body_breakdown(txn, &mut roles)?;
    Ok(DbStats {
        file_bytes: 0,
        tables: table_usage_all(txn)?,
        bodies,
        blobs: stats_blobs::blob_roles(txn, &roles)?,
    })
}

/// Every table of [`tables`], in its declaration order.
pub(super) fn table_usage_all(txn: &ReadTransaction) -> StoreResult<Vec<TableUsage>> {
    use tables::*;
    Ok(vec![
        usage(txn, META)?,
        usage(txn, USERS)?,
        usage(txn, USERNAMES)?,
        usage(txn, ADDRESSES)?,
        usage(txn, USER_ADDRESSES)?,
        usage(txn, DOMAIN_ALIASES)?,
        usage(txn, MAILBOXES)?,
        usage(txn, MAILBOX_PATHS)?,
        usage(txn, SUMMARIES)?,
        usage(txn, BODIES)?,
        usage(txn, THREADS)?,
        usage(txn, JOURNAL)?,
        usage(txn, JOURNAL_TIME)?,
        usage(txn, BLOBS)?,
        usage(txn, UNREFERENCED)?,
        usage(txn, CHUNKS)?,
        usage(txn, UPLOADS)?,
        usage(txn, RECORDS)?,
        usage(txn, RECORD_EXPIRY)?,
        usage(txn, OUTBOX)?,
        usage(txn, OUTBOX_PENDING)?,
        usage(txn, OUTBOX_EXPIRY)?,
    ])
}

fn usage<K: Key + 'static, V: Value + 'static>(
    txn: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> StoreResult<TableUsage> {
    let table = txn.open_table(def)?;
    let s = table.stats()?;
    let mut row = TableUsage {
        name: def.name().to_owned(),
        stored_bytes: s.stored_bytes(),
        metadata_bytes: s.metadata_bytes(),
        fragmented_bytes: s.fragmented_bytes(),
        allocated_bytes: s.stored_bytes() + s.metadata_bytes() + s.fragmented_bytes(),
        leaf_pages: s.leaf_pages(),
        branch_pages: s.branch_pages(),
        tree_height: s.tree_height(),
        ..TableUsage::default()
    };
    for entry in table.iter()? {
        let (k, v) = entry?;
        row.entries += 1;
        row.key_bytes += K::as_bytes(&k.value()).as_ref().len() as u64;
        row.value_bytes += V::as_bytes(&v.value()).as_ref().len() as u64;
    }
    Ok(row)
}

fn body_breakdown(txn: &ReadTransaction, roles: &mut Roles) -> StoreResult<BodyBreakdown> {
    let table = txn.open_table(tables::BODIES)?;
    let mut out = BodyBreakdown::default();
    let mut seen = HashSet::new();
    for entry in table.iter()? {
        let (_, v) = entry?;
        let bytes = v.value();
        let body: MessageBody = dec(bytes)?;
        stats_blobs::note_roles(roles, &body.segments, &body.meta);
        let total = bytes.len() as u64;
        let segments = enc(&body.segments)?.len() as u64;
        let tree = enc(&body.meta.root)?.len() as u64;
        let envelope = enc(&body.meta.envelope)?.len() as u64;
        let headers = enc(&body.meta.headers)?.len() as u64;
        let compressed = zstd::bulk::compress(bytes, ZSTD_LEVEL)
            .map_err(|e| StoreError::Internal(format!("compressing a record: {e}")))?;
        out.records += 1;
        out.total_bytes += total;
        out.segments_bytes += segments;
        out.part_tree_bytes += tree;
        out.envelope_bytes += envelope;
        out.headers_bytes += headers;
        out.other_bytes += total.saturating_sub(segments + tree + envelope + headers);
        out.zstd_bytes += compressed.len() as u64;
        if seen.insert(body.sha256) {
            out.distinct_contents += 1;
            out.distinct_bytes += total;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::embedded::EmbeddedOptions;
    use redb::ReadableDatabase;

    #[test]
    fn every_table_is_counted() {
        let dir = tempfile::tempdir().unwrap();
        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default()).unwrap();
        let txn = store.db.begin_read().unwrap();
        let mut ours: Vec<String> = table_usage_all(&txn)
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        let mut theirs: Vec<String> = txn
            .list_tables()
            .unwrap()
            .map(|h| h.name().to_owned())
            .collect();
        ours.sort();
        theirs.sort();
        assert_eq!(ours, theirs);
    }
}
