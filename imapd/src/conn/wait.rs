//! The driver's side of IDLE ([`crate::handlers::idle`]): reading the client's line while the server
//! may speak, pushing the updates, keep-alives and BYE the handler's [`IdleWatch`] asks for.

use super::{Conn, Flow, bye};
use crate::handlers::idle::{IdleWatch, Wake};
use crate::proto::receiver::Progress;
use crate::proto::response::Response;
use crate::session::Action;
use crate::session::error::receive_error_response;

impl Conn {
    /// Runs IDLE until the client's line arrives (`Ok(action)` for the session's answer) or the
    /// connection must end (`Err(flow)`).
    pub(super) async fn idle(&mut self, cont: Response) -> std::io::Result<Result<Action, Flow>> {
        let mailbox = self.view.as_ref().map(|v| v.mailbox());
        let mut watch = IdleWatch::start(&self.shared, mailbox);
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
            let wake = tokio::select! {
                _ = self.shutdown.cancelled() => {
                    self.wire.push(&bye("Server shutting down"));
                    return Ok(Err(Flow::Close));
                }
                r = self.wire.read(&mut self.readbuf) => {
                    let n = r?;
                    if n == 0 {
                        return Ok(Err(Flow::Close));
                    }
                    self.rx.feed(&self.readbuf[..n]);
                    Wake::Nothing
                }
                w = watch.next() => w,
            };
            match wake {
                Wake::Nothing => {}
                Wake::KeepAlive(r) => self.wire.push(&r),
                Wake::Expired(r) => {
                    self.wire.push(&r);
                    return Ok(Err(Flow::Close));
                }
                Wake::Refresh => {
                    if self.view.is_some() && self.push_updates(true).await? == Flow::Close {
                        return Ok(Err(Flow::Close));
                    }
                }
            }
            self.wire.flush().await?;
        }
    }
}
