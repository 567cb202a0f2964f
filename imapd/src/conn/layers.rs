//! Changing the connection's stream between commands: STARTTLS (RFC 3501 §6.2.1, RFC 2595 §3.1)
//! and COMPRESS=DEFLATE (RFC 4978), over `eider_runtime::transport::Conn`.
//!
//! Invariants:
//! - STARTTLS is never carried out when the client pipelined anything after the command: those
//!   bytes arrived in clear text and must not run as if they came through TLS (command
//!   injection, RFC 2595 §3.1 / CVE-2011-0411 class). The connection is closed instead.
//! - The session already switched its own state (TLS active, compression active) when it
//!   returned the action, so the CAPABILITY list the client asks for next is the new one.
//! - COMPRESS: the tagged OK goes out uncompressed and flushed; bytes the receiver holds beyond
//!   the command are the first bytes of the client's deflate stream and are handed to it.
//! - Compression always sits above TLS (STARTTLS is only allowed before login, COMPRESS only
//!   after).

use super::{Conn, Flow, bye};
use crate::proto::response::{Response, Status};

fn tag_of(r: &Response) -> String {
    match r {
        Response::Tagged { tag, .. } => tag.clone(),
        _ => "*".into(),
    }
}

impl Conn {
    /// Sends the STARTTLS OK `r` and runs the handshake, or refuses.
    pub(super) async fn start_tls(&mut self, r: Response) -> std::io::Result<Flow> {
        let tag = tag_of(&r);
        let Some(tls) = self.shared.tls.clone() else {
            self.wire.push(&Response::tagged(
                &tag,
                Status::Bad,
                None,
                "TLS not available",
            ));
            return Ok(Flow::Continue);
        };
        if !self.wire.transport().can_start_tls() {
            self.wire.push(&Response::tagged(
                &tag,
                Status::Bad,
                None,
                "TLS already active",
            ));
            return Ok(Flow::Continue);
        }
        if self.rx.has_buffered() {
            tracing::warn!("STARTTLS with pipelined clear text: closing (command injection)");
            self.wire.push(&Response::tagged(
                &tag,
                Status::Bad,
                None,
                "STARTTLS must be the last command sent in clear text",
            ));
            self.wire.push(&bye("Pipelined commands after STARTTLS"));
            return Ok(Flow::Close);
        }
        self.wire.push(&r);
        self.wire.flush().await?;
        let plain = self.wire.take_io();
        match plain.start_tls(&tls).await {
            Ok(secure) => {
                if let Some(info) = secure.tls_info() {
                    tracing::info!(version = %info.version, cipher = %info.cipher, "STARTTLS done");
                }
                self.wire.set_io(secure);
                Ok(Flow::Continue)
            }
            Err(e) => {
                // The client no longer speaks clear text: nothing more can be said.
                tracing::info!(error = %e, "STARTTLS handshake failed");
                Ok(Flow::Close)
            }
        }
    }

    /// Sends the COMPRESS OK `r` and compresses from then on (RFC 4978 §3).
    pub(super) async fn start_compress(&mut self, r: Response) -> std::io::Result<Flow> {
        if !self.wire.transport().can_compress() {
            // The session tracks this too; answer as it would (RFC 4978 §3).
            self.wire.push(&Response::tagged(
                &tag_of(&r),
                Status::No,
                Some(crate::proto::response::Code::CompressionActive),
                "Already compressing",
            ));
            return Ok(Flow::Continue);
        }
        self.wire.push(&r);
        self.wire.flush().await?;
        let already_read = self.rx.take_buffered();
        let compressed = self.wire.take_io().start_deflate(already_read)?;
        tracing::debug!("COMPRESS=DEFLATE active");
        self.wire.set_io(compressed);
        Ok(Flow::Continue)
    }
}
