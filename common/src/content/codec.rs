//! The chunk codec: blobs are cut into chunks of [`CHUNK_SIZE`] decoded bytes (the last one may be
//! shorter), each compressed on its own with zstd at [`ZSTD_LEVEL`], so any chunk can be
//! decompressed without the others.

use crate::error::{StoreError, StoreResult};

/// Decoded bytes per chunk.
pub const CHUNK_SIZE: u32 = 64 * 1024;

/// zstd level: fast to write, about 3x on text.
pub const ZSTD_LEVEL: i32 = 3;

pub fn compress_chunk(data: &[u8]) -> StoreResult<Vec<u8>> {
    zstd::bulk::compress(data, ZSTD_LEVEL)
        .map_err(|e| StoreError::Internal(format!("compressing a chunk: {e}")))
}

/// Decompresses one chunk that holds at most `max` decoded bytes.
pub fn decompress_chunk(data: &[u8], max: usize) -> StoreResult<Vec<u8>> {
    zstd::bulk::decompress(data, max)
        .map_err(|e| StoreError::Corrupt(format!("decompressing a chunk: {e}")))
}
