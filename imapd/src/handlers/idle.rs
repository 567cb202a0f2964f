//! IDLE (RFC 2177): while the client idles, what wakes the session and what it says.
//!
//! Wake-ups come from the change bus (`ctx.bus`: this process's store events and, with Redis,
//! other processes'; filtered to the selected mailbox; a bus `Tick` means "events may have been
//! missed, check"), with a periodic poll as a further fallback; a keep-alive `* OK Still here`
//! goes out every few minutes so NAT boxes keep the connection, and an IDLE longer than the
//! session timeout ends with BYE. The session (`crate::session`) answers the client's `DONE`;
//! the driver reads the socket and pushes the updates a [`Wake::Refresh`] asks for.

use crate::proto::response::{Response, Status};
use crate::server::Shared;
use eider_model::types::MailboxId;
use eider_runtime::bus::{BusMessage, BusReceiver};
use tokio::time::{Instant, Interval, interval_at};

/// Why an idling session woke up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// The selected mailbox may have changed: bring the client up to date.
    Refresh,
    /// Nothing changed for a while: write this keep-alive.
    KeepAlive(Response),
    /// The IDLE lasted longer than the session timeout: write this BYE and close.
    Expired(Response),
    /// Nothing for this session (a change to another mailbox).
    Nothing,
}

/// The timers and the change feed of one IDLE.
#[derive(Debug)]
pub struct IdleWatch {
    events: Option<BusReceiver>,
    mailbox: Option<MailboxId>,
    poll: Interval,
    keepalive: Interval,
    deadline: Instant,
}

impl IdleWatch {
    /// Subscribes to changes (before the first update is pushed, so none is missed) and starts
    /// the timers. `mailbox` is the selected one, if any.
    pub fn start(shared: &Shared, mailbox: Option<MailboxId>) -> Self {
        let o = &shared.options;
        let now = Instant::now();
        IdleWatch {
            events: Some(shared.ctx.bus.subscribe()),
            mailbox,
            poll: interval_at(now + o.idle_poll, o.idle_poll),
            keepalive: interval_at(now + o.idle_keepalive, o.idle_keepalive),
            deadline: now + o.idle_timeout,
        }
    }

    /// Waits for the next reason to wake up. Cancel-safe (the driver races it with reading).
    pub async fn next(&mut self) -> Wake {
        tokio::select! {
            _ = tokio::time::sleep_until(self.deadline) => Wake::Expired(Response::Condition {
                status: Status::Bye,
                code: None,
                text: "Autologout: idle for too long".into(),
            }),
            ev = next_event(&mut self.events) => match ev {
                Some(BusMessage::Changed(ev)) if Some(ev.mailbox) == self.mailbox => Wake::Refresh,
                Some(BusMessage::Changed(_)) => Wake::Nothing,
                Some(BusMessage::Tick) => Wake::Refresh,
                None => {
                    // No more events: the poll alone keeps the client informed.
                    self.events = None;
                    Wake::Nothing
                }
            },
            _ = self.poll.tick() => Wake::Refresh,
            _ = self.keepalive.tick() => Wake::KeepAlive(Response::Condition {
                status: Status::Ok,
                code: None,
                text: "Still here".into(),
            }),
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
