//! The connection's byte stream and its output buffer.
//!
//! The stream is a [`Transport`]: the accepted socket boxed behind [`IoStream`], under the
//! layers STARTTLS and COMPRESS add in place (`eider_runtime::transport::Conn`). Invariant: responses are appended to `buf` whole and only written out by `flush` (or
//! `flush_if_full` while streaming a large FETCH), so pipelined commands are answered in one
//! write once the input is drained.

use crate::proto::response::{EncodeOptions, Response, Status};
use eider_runtime::metrics::Counter;
use eider_runtime::transport::Conn;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Anything a connection can run over (TCP, a test's in-memory duplex).
pub trait IoStream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send + Sync> IoStream for T {}

/// The connection's stream with its layers: plain, TLS, DEFLATE over either.
pub type Transport = Conn<Box<dyn IoStream>>;

/// Output buffered beyond this is written out even in the middle of a response.
const HIGH_WATER: usize = 256 * 1024;
/// The output buffer's usual capacity; a larger one (after a big FETCH) is released once
/// flushed, so idle connections do not keep it.
const BUF_SIZE: usize = 16 * 1024;
/// A client that accepts no data for this long is dropped (it would hold its task forever).
const WRITE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(300);

async fn timed<T>(f: impl std::future::Future<Output = std::io::Result<T>>) -> std::io::Result<T> {
    tokio::time::timeout(WRITE_TIMEOUT, f)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "client stopped reading"))?
}

/// The stream plus pending output.
pub struct Wire {
    io: Transport,
    pub buf: Vec<u8>,
    pub opts: EncodeOptions,
    /// Status of the last tagged response queued (for the command log and the error count).
    pub last_tagged: Option<Status>,
    /// The most bytes ever buffered (tests check that streamed bodies stay bounded).
    pub peak: usize,
    /// Bytes read and written, when metered (`crate::metrics`).
    meter: Option<(Counter, Counter)>,
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wire")
            .field("buffered", &self.buf.len())
            .finish_non_exhaustive()
    }
}

impl Wire {
    pub fn new(io: Transport) -> Self {
        Wire {
            io,
            buf: Vec::new(),
            opts: EncodeOptions::default(),
            last_tagged: None,
            peak: 0,
            meter: None,
        }
    }

    /// Counts the bytes read into `received` and the bytes written into `sent`.
    pub fn metered(mut self, received: Counter, sent: Counter) -> Self {
        self.meter = Some((received, sent));
        self
    }

    fn count_sent(&self) {
        if let Some((_, sent)) = &self.meter {
            sent.add(self.buf.len() as u64);
        }
    }

    /// Queues one response.
    pub fn push(&mut self, r: &Response) {
        if let Response::Tagged { status, .. } = r {
            self.last_tagged = Some(*status);
        }
        r.encode(&mut self.buf, self.opts);
    }

    pub fn push_all(&mut self, rs: &[Response]) {
        for r in rs {
            self.push(r);
        }
    }

    /// Writes everything queued.
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.peak = self.peak.max(self.buf.len());
        if !self.buf.is_empty() {
            timed(self.io.write_all(&self.buf)).await?;
            self.count_sent();
            self.buf.clear();
            if self.buf.capacity() > BUF_SIZE {
                self.buf = Vec::new();
            }
        }
        timed(self.io.flush()).await
    }

    /// Writes the queue out when it has grown large (streamed bodies).
    pub async fn flush_if_full(&mut self) -> std::io::Result<()> {
        self.peak = self.peak.max(self.buf.len());
        if self.buf.len() >= HIGH_WATER {
            timed(self.io.write_all(&self.buf)).await?;
            self.count_sent();
            self.buf.clear();
        }
        Ok(())
    }

    /// Reads what the client sent; 0 at end of stream. Cancel-safe.
    pub async fn read(&mut self, into: &mut [u8]) -> std::io::Result<usize> {
        let n = self.io.read(into).await?;
        if let Some((received, _)) = &self.meter {
            received.add(n as u64);
        }
        Ok(n)
    }

    /// Takes the stream out (to wrap it in a TLS or COMPRESS layer, whose set-up is async),
    /// leaving a closed placeholder until [`Wire::set_io`]. Flush first: queued output stays.
    pub fn take_io(&mut self) -> Transport {
        let placeholder: Box<dyn IoStream> =
            Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()));
        std::mem::replace(&mut self.io, Conn::plain(placeholder))
    }

    /// Puts a (wrapped) stream back.
    pub fn set_io(&mut self, io: Transport) {
        self.io = io;
    }

    /// The stream's layers (TLS active? compressed?).
    pub fn transport(&self) -> &Transport {
        &self.io
    }

    /// Closes the write side.
    pub async fn shutdown(&mut self) {
        let _ = self.io.shutdown().await;
    }
}
