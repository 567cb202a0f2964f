//! A minimal SMTP client (RFC 5321) for relaying submitted mail to the configured smarthost:
//! EHLO, MAIL FROM, RCPT TO per recipient, DATA with dot-stuffing (§4.5.2), QUIT. Plain TCP;
//! the smarthost is expected on loopback or a trusted network.
//!
//! Every network step is bounded ([`Timeouts`], `[api] submit_*_timeout_secs`): a smarthost
//! that accepts and then says nothing (or never accepts) fails the submission instead of
//! holding the request.

use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long each network step may take.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    pub connect: Duration,
    /// Per reply read and per write.
    pub reply: Duration,
}

/// `io` within `limit`, a timeout being an I/O error like the others.
async fn within<T>(
    limit: Duration,
    what: &'static str,
    io: impl Future<Output = std::io::Result<T>>,
) -> std::io::Result<T> {
    tokio::time::timeout(limit, io).await.unwrap_or_else(|_| {
        Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("{what} timed out after {limit:?}"),
        ))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("smarthost connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("smarthost refused {step}: {reply}")]
    Refused { step: &'static str, reply: String },
}

struct Conn {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
    reply: Duration,
}

impl Conn {
    /// Reads one (possibly multi-line) reply; returns its code and text.
    async fn reply(&mut self) -> Result<(u16, String), SmtpError> {
        let mut text = String::new();
        loop {
            let mut line = String::new();
            if within(self.reply, "smarthost reply", self.rd.read_line(&mut line)).await? == 0 {
                return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
            }
            text.push_str(&line);
            // RFC 5321 §4.2.1: `250-` continues, `250 ` ends.
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
                return Ok((code, text.trim_end().to_owned()));
            }
        }
    }

    async fn expect(&mut self, step: &'static str, ok: u16) -> Result<(), SmtpError> {
        let (code, reply) = self.reply().await?;
        if code == ok {
            Ok(())
        } else {
            Err(SmtpError::Refused { step, reply })
        }
    }

    async fn write(&mut self, bytes: &[u8]) -> Result<(), SmtpError> {
        Ok(within(self.reply, "smarthost write", self.wr.write_all(bytes)).await?)
    }

    async fn command(&mut self, line: &str, step: &'static str, ok: u16) -> Result<(), SmtpError> {
        self.write(format!("{line}\r\n").as_bytes()).await?;
        self.expect(step, ok).await
    }
}

/// Sends `message` (CRLF line endings) from `from` to every address in `rcpts`.
pub async fn send(
    smarthost: &str,
    helo: &str,
    from: &str,
    rcpts: &[String],
    message: &[u8],
    timeouts: Timeouts,
) -> Result<(), SmtpError> {
    let connect = TcpStream::connect(smarthost);
    let stream = within(timeouts.connect, "smarthost connect", connect).await?;
    let (rd, wr) = stream.into_split();
    let mut c = Conn {
        rd: BufReader::new(rd),
        wr,
        reply: timeouts.reply,
    };
    c.expect("greeting", 220).await?;
    c.command(&format!("EHLO {helo}"), "EHLO", 250).await?;
    c.command(&format!("MAIL FROM:<{from}>"), "MAIL FROM", 250)
        .await?;
    for r in rcpts {
        c.command(&format!("RCPT TO:<{r}>"), "RCPT TO", 250).await?;
    }
    c.command("DATA", "DATA", 354).await?;
    let mut out = Vec::with_capacity(message.len() + 64);
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line.first() == Some(&b'.') {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    c.write(&out).await?;
    c.expect("message", 250).await?;
    let _ = c.command("QUIT", "QUIT", 221).await;
    Ok(())
}
