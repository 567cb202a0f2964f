//! The blobs of the embedded store by the role the messages give them: skeleton (headers,
//! boundaries and small bodies, stored as received), attachment (a decoded base64 or
//! quoted-printable body), search text (`meta.text_blob`); with their decoded bytes, the
//! compressed bytes of their chunks and the references on them. Part of `eider db stats`.

use super::blobs::BlobRecord;
use super::tables::{self, dec};
use crate::error::StoreResult;
use eider_model::{MessageMeta, Segment, Transfer};
use redb::{ReadTransaction, ReadableTable};
use serde::Serialize;
use std::collections::HashMap;

/// What the messages use a blob for; the first use seen wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Skeleton,
    Attachment,
    Text,
}

/// Blob ids → role, filled while the body records are scanned.
pub(super) type Roles = HashMap<[u8; 32], Role>;

/// Records the roles of the blobs one message names.
pub(super) fn note_roles(roles: &mut Roles, segments: &[Segment], meta: &MessageMeta) {
    for s in segments {
        if let Segment::Blob { blob, transfer, .. } = s {
            let role = match transfer {
                Transfer::Identity => Role::Skeleton,
                _ => Role::Attachment,
            };
            roles.entry(blob.0).or_insert(role);
        }
    }
    if let Some(text) = meta.text_blob {
        roles.entry(text.0).or_insert(Role::Text);
    }
}

/// Blobs of one role.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RoleUsage {
    pub blobs: u64,
    /// Decoded size (what the chunks hold once decompressed).
    pub decoded_bytes: u64,
    /// Compressed chunk values in the `chunks` table.
    pub chunk_bytes: u64,
    /// References from messages (a blob shared by n messages counts n).
    pub references: u64,
}

/// The blobs by role; `unnamed` are blobs no message names (waiting for the sweep, or in
/// flight).
#[derive(Clone, Debug, Default, Serialize)]
pub struct BlobRoles {
    pub skeleton: RoleUsage,
    pub attachment: RoleUsage,
    pub text: RoleUsage,
    pub unnamed: RoleUsage,
}

pub(super) fn blob_roles(txn: &ReadTransaction, roles: &Roles) -> StoreResult<BlobRoles> {
    let mut chunk_bytes: HashMap<u64, u64> = HashMap::new();
    for entry in txn.open_table(tables::CHUNKS)?.iter()? {
        let (k, v) = entry?;
        *chunk_bytes.entry(k.value().0).or_default() += v.value().len() as u64;
    }
    let mut out = BlobRoles::default();
    for entry in txn.open_table(tables::BLOBS)?.iter()? {
        let (_, v) = entry?;
        let record: BlobRecord = dec(v.value())?;
        let usage = match roles.get(&record.info.id.0) {
            Some(Role::Skeleton) => &mut out.skeleton,
            Some(Role::Attachment) => &mut out.attachment,
            Some(Role::Text) => &mut out.text,
            None => &mut out.unnamed,
        };
        usage.blobs += 1;
        usage.decoded_bytes += record.info.size;
        usage.chunk_bytes += chunk_bytes.get(&record.key).copied().unwrap_or(0);
        usage.references += record.info.refs;
    }
    Ok(out)
}
