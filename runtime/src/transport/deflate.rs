//! COMPRESS=DEFLATE (RFC 4978): a stream wrapper that inflates what it reads and deflates what it
//! writes, over any byte stream (plain TCP or the payload of a TLS session).
//!
//! Invariants:
//! - Raw DEFLATE (RFC 1951, no zlib or gzip header) in each direction, RFC 4978 §3; each
//!   direction is one deflate stream for the rest of the connection.
//! - `flush()` emits a sync flush (an empty stored block ending `00 00 ff ff`), so the peer can
//!   decode everything written so far; drivers flush after each batch of responses (RFC 4978 §4).
//!   Data written without a flush may sit in the compressor.
//! - Bytes the driver had already read past the tagged OK (the client may send compressed data
//!   right after it, RFC 4978 §3) are given to [`Deflate::new`] and inflated before anything
//!   read from the stream.
//! - Inflated bytes are produced only as the caller reads, so a small, highly compressed input
//!   cannot make this layer buffer more than one read's worth (the driver's line and literal
//!   limits apply to the inflated bytes).
//! - A peer that closes the connection in the middle of its deflate stream (as clients do when
//!   they just hang up) reads as a clean end of stream, not an error.

use async_compression::tokio::bufread::DeflateDecoder;
use async_compression::tokio::write::DeflateEncoder;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, BufReader, ReadBuf, ReadHalf, WriteHalf};

/// A compressed stream over `S`; reads inflate, writes deflate.
pub struct Deflate<S> {
    reader: DeflateDecoder<BufReader<Prefixed<ReadHalf<S>>>>,
    writer: DeflateEncoder<WriteHalf<S>>,
}

impl<S> std::fmt::Debug for Deflate<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Deflate")
    }
}

impl<S: AsyncRead + AsyncWrite> Deflate<S> {
    /// Starts compression on `stream`. `already_read` holds bytes the caller read from `stream`
    /// but did not consume (already compressed by the peer); they are inflated first.
    pub fn new(stream: S, already_read: Vec<u8>) -> Self {
        let (read, write) = tokio::io::split(stream);
        let prefixed = Prefixed {
            prefix: already_read,
            pos: 0,
            inner: read,
            eof: false,
        };
        Deflate {
            reader: DeflateDecoder::new(BufReader::new(prefixed)),
            writer: DeflateEncoder::new(write),
        }
    }
}

impl<S: AsyncRead + AsyncWrite> AsyncRead for Deflate<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match Pin::new(&mut self.reader).poll_read(cx, buf) {
            // The peer hung up without ending its deflate stream (the inflater reports that as
            // an error of its own): an ordinary close. Errors before EOF stay errors.
            Poll::Ready(Err(_)) if self.reader.get_ref().get_ref().eof => Poll::Ready(Ok(())),
            other => other,
        }
    }
}

impl<S: AsyncRead + AsyncWrite> AsyncWrite for Deflate<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.writer).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.writer).poll_flush(cx)
    }

    /// Ends the deflate stream (final block), then shuts the inner stream down.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.writer).poll_shutdown(cx)
    }
}

/// A reader that yields `prefix[pos..]` before reading from `inner`.
struct Prefixed<R> {
    prefix: Vec<u8>,
    pos: usize,
    inner: R,
    /// The inner stream returned end-of-file.
    eof: bool,
}

impl<R: AsyncRead + Unpin> AsyncRead for Prefixed<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        if this.pos < this.prefix.len() {
            let rest = &this.prefix[this.pos..];
            let n = rest.len().min(buf.remaining());
            buf.put_slice(&rest[..n]);
            this.pos += n;
            if this.pos == this.prefix.len() {
                this.prefix = Vec::new();
                this.pos = 0;
            }
            return Poll::Ready(Ok(()));
        }
        let filled = buf.filled().len();
        let result = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result
            && buf.filled().len() == filled
            && buf.remaining() > 0
        {
            this.eof = true;
        }
        result
    }
}
