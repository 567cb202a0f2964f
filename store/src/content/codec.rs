//! The chunk codec: blobs are cut into chunks of [`CHUNK_SIZE`] decoded bytes (the last one may be
//! shorter), each compressed on its own with zstd at [`ZSTD_LEVEL`], so any chunk can be
//! decompressed without the others.

use crate::error::{StoreError, StoreResult};
use std::cell::RefCell;

thread_local! {
    // zstd contexts are expensive to set up (hundreds of KiB of tables); one per thread is reused
    // for every chunk instead of one per call.
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

/// Decoded bytes per chunk.
pub const CHUNK_SIZE: u32 = 64 * 1024;

/// zstd level: fast to write, about 3x on text.
pub const ZSTD_LEVEL: i32 = 3;

pub fn compress_chunk(data: &[u8]) -> StoreResult<Vec<u8>> {
    let err = |e: std::io::Error| StoreError::Internal(format!("compressing a chunk: {e}"));
    COMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let c = match slot.as_mut() {
            Some(c) => c,
            None => slot.insert(zstd::bulk::Compressor::new(ZSTD_LEVEL).map_err(err)?),
        };
        c.compress(data).map_err(err)
    })
}

/// Decompresses one chunk that holds at most `max` decoded bytes.
pub fn decompress_chunk(data: &[u8], max: usize) -> StoreResult<Vec<u8>> {
    let err = |e: std::io::Error| StoreError::Corrupt(format!("decompressing a chunk: {e}"));
    DECOMPRESSOR.with(|cell| {
        let mut slot = cell.borrow_mut();
        let d = match slot.as_mut() {
            Some(d) => d,
            None => slot.insert(zstd::bulk::Decompressor::new().map_err(err)?),
        };
        d.decompress(data, max).map_err(err)
    })
}
