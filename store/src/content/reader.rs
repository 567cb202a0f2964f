//! [`MessageReader`]: a message (or a byte range of it) in bounded windows, for streaming it to
//! a client without holding it whole.

use super::range::read_range;
use crate::error::StoreResult;
use crate::mailstore::MailStore;
use eider_model::Segment;

/// Default window: four chunks, so identity windows stay chunk-aligned.
pub const DEFAULT_WINDOW: u64 = 256 * 1024;

pub struct MessageReader<'a> {
    store: &'a dyn MailStore,
    segments: &'a [Segment],
    pos: u64,
    end: u64,
    window: u64,
}

impl std::fmt::Debug for MessageReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageReader")
            .field("pos", &self.pos)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl<'a> MessageReader<'a> {
    /// Reads the whole message.
    pub fn new(store: &'a dyn MailStore, segments: &'a [Segment]) -> Self {
        let end = segments.iter().map(Segment::encoded_len).sum();
        Self {
            store,
            segments,
            pos: 0,
            end,
            window: DEFAULT_WINDOW,
        }
    }

    /// Restricts the reader to bytes `start..start + len` (clamped to the message).
    pub fn range(mut self, start: u64, len: u64) -> Self {
        let total = self.end;
        self.pos = start.min(total);
        self.end = start.saturating_add(len).min(total);
        self
    }

    /// Sets the window size (at least one byte).
    pub fn window(mut self, bytes: u64) -> Self {
        self.window = bytes.max(1);
        self
    }

    /// Bytes not yet returned.
    pub fn remaining(&self) -> u64 {
        self.end - self.pos
    }

    /// The next window, or `None` at the end.
    pub async fn next_window(&mut self) -> StoreResult<Option<Vec<u8>>> {
        if self.pos >= self.end {
            return Ok(None);
        }
        let len = self.window.min(self.end - self.pos);
        let bytes = read_range(self.store, self.segments, self.pos, len).await?;
        self.pos += len;
        Ok(Some(bytes))
    }
}
