//! A small LMTP client (RFC 2033) for tests and benchmarks: LHLO once, then transactions with
//! per-recipient replies.

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One reply: code and the text of its last line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

pub struct LmtpClient {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
}

impl LmtpClient {
    /// Connects and exchanges the greeting and LHLO.
    pub async fn connect(addr: &str) -> std::io::Result<Self> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (rd, wr) = s.into_split();
        let mut c = Self {
            rd: BufReader::new(rd),
            wr,
        };
        expect(c.reply().await?, 220)?;
        c.wr.write_all(b"LHLO client.test\r\n").await?;
        expect(c.reply().await?, 250)?;
        Ok(c)
    }

    /// Reads one (possibly multi-line) reply.
    pub async fn reply(&mut self) -> std::io::Result<Reply> {
        let mut line = String::new();
        loop {
            line.clear();
            if self.rd.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            let code = line.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply {
                    code,
                    text: line.get(4..).unwrap_or("").trim_end().to_owned(),
                });
            }
        }
    }

    pub async fn send_line(&mut self, line: &str) -> std::io::Result<()> {
        self.wr.write_all(line.as_bytes()).await?;
        self.wr.write_all(b"\r\n").await
    }

    /// Sends one message (pipelining MAIL and RCPTs); returns the RCPT replies and, if DATA was
    /// accepted, one reply per accepted recipient.
    pub async fn deliver(
        &mut self,
        from: &str,
        rcpts: &[&str],
        message: &[u8],
    ) -> std::io::Result<(Vec<Reply>, Vec<Reply>)> {
        let mut cmd = format!("MAIL FROM:<{from}> SIZE={}\r\n", message.len());
        for r in rcpts {
            cmd.push_str(&format!("RCPT TO:<{r}>\r\n"));
        }
        cmd.push_str("DATA\r\n");
        self.wr.write_all(cmd.as_bytes()).await?;
        let mail = self.reply().await?;
        let mut rcpt_replies = Vec::new();
        for _ in rcpts {
            rcpt_replies.push(self.reply().await?);
        }
        let data = self.reply().await?;
        if mail.code != 250 || data.code != 354 {
            return Ok((rcpt_replies, vec![mail, data]));
        }
        let mut wire = stuff(message);
        if !wire.ends_with(b"\r\n") {
            wire.extend_from_slice(b"\r\n");
        }
        wire.extend_from_slice(b".\r\n");
        self.wr.write_all(&wire).await?;
        let mut out = Vec::new();
        for r in &rcpt_replies {
            if r.code == 250 {
                out.push(self.reply().await?);
            }
        }
        Ok((rcpt_replies, out))
    }

    pub async fn quit(mut self) -> std::io::Result<()> {
        self.wr.write_all(b"QUIT\r\n").await?;
        let _ = self.reply().await;
        Ok(())
    }
}

fn expect(r: Reply, code: u16) -> std::io::Result<()> {
    if r.code == code {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "expected {code}, got {} {}",
            r.code, r.text
        )))
    }
}

/// Dot-stuffing for DATA (RFC 5321 §4.5.2).
pub fn stuff(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 16);
    let mut line_start = true;
    for &b in data {
        if line_start && b == b'.' {
            out.push(b'.');
        }
        out.push(b);
        line_start = b == b'\n';
    }
    out
}
