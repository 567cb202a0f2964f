//! [`Output`]: the narrow view of the connection a handler gets. A handler queues responses and,
//! while streaming a large body, may ask for the queue to be written out; it never reads from
//! the client or changes the stream (that is the driver's, `crate::conn`).

use crate::proto::response::{EncodeOptions, Response};
use std::future::Future;
use std::pin::Pin;

/// A future that writes queued output.
pub type Flushing<'a> = Pin<Box<dyn Future<Output = std::io::Result<()>> + Send + 'a>>;

/// Where a handler writes its responses.
pub trait Output: Send + Sync {
    /// Queues one response.
    fn push(&mut self, r: &Response);
    /// The queue of encoded output, for responses written piece by piece (FETCH).
    fn buf(&mut self) -> &mut Vec<u8>;
    /// How responses must be encoded now.
    fn opts(&self) -> EncodeOptions;
    /// Writes the queue out when it has grown large (streamed bodies).
    fn flush_if_full(&mut self) -> Flushing<'_>;
}

/// Output kept in memory, for tests of code that writes responses.
#[cfg(test)]
#[derive(Debug, Default)]
pub struct Buffer {
    pub bytes: Vec<u8>,
    pub opts: EncodeOptions,
}

#[cfg(test)]
impl Output for Buffer {
    fn push(&mut self, r: &Response) {
        r.encode(&mut self.bytes, self.opts);
    }
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.bytes
    }
    fn opts(&self) -> EncodeOptions {
        self.opts
    }
    fn flush_if_full(&mut self) -> Flushing<'_> {
        Box::pin(async { Ok(()) })
    }
}
