//! IDLE (RFC 2177): wait for DONE while pushing untagged updates for the selected mailbox.
//!
//! Wake-ups come from the change bus (`ctx.bus`: this process's store events and, with Redis,
//! other processes'; filtered to the selected mailbox; a bus `Tick` means "events may have been
//! missed, check"), with a periodic poll as a further fallback; a keep-alive `* OK Still here` goes out every
//! few minutes so NAT boxes keep the connection, and an IDLE longer than the session timeout
//! ends with BYE.

use super::{Conn, Flow, bye};
use crate::proto::receiver::Progress;
use crate::proto::response::{Response, Status};
use crate::session::Action;
use crate::session::error::receive_error_response;
use eider_runtime::bus::{BusMessage, BusReceiver};
use tokio::time::{Instant, interval_at};

impl Conn {
    /// Runs IDLE until the client's line arrives (`Ok(action)` for the session's answer) or the
    /// connection must end (`Err(flow)`).
    pub(super) async fn idle(&mut self, cont: Response) -> std::io::Result<Result<Action, Flow>> {
        let mut events = Some(self.shared.ctx.bus.subscribe());
        self.wire.push(&cont);
        // Changes since the last command are reported right after the continuation.
        if self.view.is_some() && self.push_updates(true).await? == Flow::Close {
            return Ok(Err(Flow::Close));
        }
        self.wire.flush().await?;
        // IDLE may last hours: hold only the small read buffer meanwhile.
        if self.readbuf.len() > super::IDLE_READ_SIZE {
            self.readbuf = vec![0; super::IDLE_READ_SIZE];
        }
        self.rx.shrink();
        self.rx.read_raw_line();
        let o = &self.shared.options;
        let (poll_every, keepalive_every) = (o.idle_poll, o.idle_keepalive);
        let deadline = Instant::now() + o.idle_timeout;
        let mut poll = interval_at(Instant::now() + poll_every, poll_every);
        let mut keepalive = interval_at(Instant::now() + keepalive_every, keepalive_every);
        let mailbox = self.view.as_ref().map(|v| v.mailbox());
        loop {
            match self.rx.next() {
                Progress::RawLine(line) => {
                    return Ok(Ok(self.session.on_raw_line(&line)));
                }
                Progress::NeedMore => {}
                Progress::Error(e) => {
                    self.wire.push(&receive_error_response(&e));
                    return Ok(Err(Flow::Continue));
                }
                _ => return Ok(Err(Flow::Continue)),
            }
            let mut refresh = false;
            tokio::select! {
                _ = self.shutdown.cancelled() => {
                    self.wire.push(&bye("Server shutting down"));
                    return Ok(Err(Flow::Close));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    self.wire.push(&bye("Autologout: idle for too long"));
                    return Ok(Err(Flow::Close));
                }
                r = self.wire.read(&mut self.readbuf) => {
                    let n = r?;
                    if n == 0 {
                        return Ok(Err(Flow::Close));
                    }
                    self.rx.feed(&self.readbuf[..n]);
                }
                ev = next_event(&mut events) => match ev {
                    Some(BusMessage::Changed(ev)) => refresh = Some(ev.mailbox) == mailbox,
                    Some(BusMessage::Tick) => refresh = true,
                    // No more events: the poll alone keeps the client informed.
                    None => events = None,
                },
                _ = poll.tick() => refresh = true,
                _ = keepalive.tick() => {
                    self.wire.push(&Response::Condition {
                        status: Status::Ok,
                        code: None,
                        text: "Still here".into(),
                    });
                }
            }
            if refresh && self.view.is_some() && self.push_updates(true).await? == Flow::Close {
                return Ok(Err(Flow::Close));
            }
            self.wire.flush().await?;
        }
    }
}

/// The next bus message; pends forever once the bus is gone.
async fn next_event(events: &mut Option<BusReceiver>) -> Option<BusMessage> {
    match events.as_mut() {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
