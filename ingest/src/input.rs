//! Buffered reading of a connection: command lines (bounded length) and raw data, with an idle
//! timeout. Bytes read ahead stay in the buffer, so pipelined commands are never lost.

use bytes::{Buf, BytesMut};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest command line accepted (RFC 5321 §4.5.3.1.4 says 512; SMTPUTF8 addresses need more).
pub const MAX_LINE: usize = 4096;

#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line without its CRLF (or bare LF).
    Complete(Vec<u8>),
    /// A line longer than [`MAX_LINE`]; it was discarded up to its end.
    TooLong,
}

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("connection closed")]
    Eof,
    #[error("idle timeout")]
    Timeout,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub struct Input<R> {
    rd: R,
    pub buf: BytesMut,
    timeout: Duration,
}

impl<R: AsyncRead + Unpin> Input<R> {
    pub fn new(rd: R, timeout: Duration) -> Self {
        Self {
            rd,
            buf: BytesMut::with_capacity(16 * 1024),
            timeout,
        }
    }

    /// True if a whole line is already buffered (then replies can wait: PIPELINING).
    pub fn has_line(&self) -> bool {
        memchr::memchr(b'\n', &self.buf).is_some()
    }

    /// Reads more bytes into the buffer.
    pub async fn fill(&mut self) -> Result<(), ReadError> {
        self.buf.reserve(16 * 1024);
        let n = tokio::time::timeout(self.timeout, self.rd.read_buf(&mut self.buf))
            .await
            .map_err(|_| ReadError::Timeout)??;
        if n == 0 {
            return Err(ReadError::Eof);
        }
        Ok(())
    }

    /// The next command line.
    pub async fn line(&mut self) -> Result<Line, ReadError> {
        let mut discarding = false;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                let mut line = self.buf.split_to(i + 1).to_vec();
                if discarding || i > MAX_LINE {
                    return Ok(Line::TooLong);
                }
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Line::Complete(line));
            }
            if self.buf.len() > MAX_LINE {
                discarding = true;
                self.buf.clear();
            }
            self.fill().await?;
        }
    }

    /// Takes up to `max` buffered bytes, reading if the buffer is empty.
    pub async fn chunk(&mut self, max: usize) -> Result<BytesMut, ReadError> {
        if self.buf.is_empty() {
            self.fill().await?;
        }
        let n = max.min(self.buf.len());
        Ok(self.buf.split_to(n))
    }

    /// Drops buffered bytes that a decoder consumed.
    pub fn consume(&mut self, n: usize) {
        self.buf.advance(n);
    }
}
