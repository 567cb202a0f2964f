//! The content model: how a message's bytes are rebuilt from its segments and blobs.
//!
//! A message is the concatenation of its [`eider_model::Segment`]s. Blob segments name a decoded
//! byte range of a blob and how to re-encode it (identity, base64 with a fixed line layout, or canonical quoted-printable).
//! Blobs are stored as independent zstd chunks of [`CHUNK_SIZE`] decoded bytes, so
//! [`read_range`] touches only the chunks (and base64 lines) that cover the requested bytes.
//!
//! - [`codec`]: the chunk codec.
//! - [`BlobWriter`]: streaming writer that stages chunks and commits the blob under its SHA-256.
//! - [`base64`]: the base64 line layout ([`base64_encoded_len`] for writers of segments).
//! - [`qp`]: the canonical quoted-printable encoder ([`encode_qp`]).
//! - [`read_range`], [`MessageReader`]: random-access and windowed reads of a message.

pub mod base64;
pub mod codec;
/// The canonical quoted-printable encoder lives in the MIME crate (the splitter checks bodies
/// against it); the content model re-encodes with it.
pub use eider_mime::qp_encode as qp;
mod range;
mod reader;
mod writer;

pub use base64::base64_encoded_len;
pub use codec::{CHUNK_SIZE, ZSTD_LEVEL};
pub use eider_mime::qp_encode::{encode_qp, encode_qp_into};
pub use range::{read_message, read_range};
pub use reader::MessageReader;
pub use writer::{BlobWriter, BlobWritten, put_blob};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
