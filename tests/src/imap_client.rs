//! A minimal IMAP client for tests and benchmarks: sends tagged commands and collects the
//! response lines (literals inlined) up to the tagged completion.

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Everything the server answered to one command.
#[derive(Clone, Debug, Default)]
pub struct Response {
    /// Untagged and continuation lines, with literal bytes inlined after their `{n}` marker.
    pub untagged: Vec<Vec<u8>>,
    /// The tagged status line without the tag, e.g. `OK [READ-WRITE] SELECT completed`.
    pub status: String,
}

impl Response {
    pub fn is_ok(&self) -> bool {
        self.status.starts_with("OK")
    }

    /// Untagged lines as lossy text.
    pub fn lines(&self) -> Vec<String> {
        self.untagged
            .iter()
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect()
    }
}

pub struct ImapClient {
    rd: BufReader<tokio::net::tcp::OwnedReadHalf>,
    wr: tokio::net::tcp::OwnedWriteHalf,
    next_tag: u32,
    pub greeting: String,
}

impl ImapClient {
    pub async fn connect(addr: &str) -> std::io::Result<Self> {
        let s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let (rd, wr) = s.into_split();
        let mut c = Self {
            rd: BufReader::new(rd),
            wr,
            next_tag: 1,
            greeting: String::new(),
        };
        let g = c.read_line().await?;
        c.greeting = String::from_utf8_lossy(&g).into_owned();
        Ok(c)
    }

    /// Reads one response line, following literals (`{n}` at the end) so the returned line
    /// holds the literal bytes and the rest of the line.
    pub async fn read_line(&mut self) -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            if self.rd.read_until(b'\n', &mut line).await? == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            out.extend_from_slice(&line);
            let Some(n) = literal_len(&line) else {
                return Ok(out);
            };
            let mut lit = vec![0u8; n];
            self.rd.read_exact(&mut lit).await?;
            out.extend_from_slice(&lit);
        }
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.wr.write_all(bytes).await
    }

    /// Sends `command` with a fresh tag and reads until its tagged response.
    pub async fn command(&mut self, command: &str) -> std::io::Result<Response> {
        let tag = format!("a{}", self.next_tag);
        self.next_tag += 1;
        self.wr
            .write_all(format!("{tag} {command}\r\n").as_bytes())
            .await?;
        self.until_tagged(&tag).await
    }

    /// Reads lines until the tagged completion of `tag`.
    pub async fn until_tagged(&mut self, tag: &str) -> std::io::Result<Response> {
        let mut resp = Response::default();
        let prefix = format!("{tag} ");
        loop {
            let line = self.read_line().await?;
            if line.starts_with(prefix.as_bytes()) {
                resp.status = String::from_utf8_lossy(&line[prefix.len()..])
                    .trim_end()
                    .to_owned();
                return Ok(resp);
            }
            resp.untagged.push(line);
        }
    }

    /// APPEND with a synchronising literal.
    pub async fn append(
        &mut self,
        mailbox: &str,
        flags: &str,
        message: &[u8],
    ) -> std::io::Result<Response> {
        let tag = format!("a{}", self.next_tag);
        self.next_tag += 1;
        let head = format!(
            "{tag} APPEND \"{mailbox}\" ({flags}) {{{}}}\r\n",
            message.len()
        );
        self.wr.write_all(head.as_bytes()).await?;
        let cont = self.read_line().await?;
        if !cont.starts_with(b"+") {
            return Ok(Response {
                untagged: Vec::new(),
                status: String::from_utf8_lossy(&cont).trim_end().to_owned(),
            });
        }
        self.wr.write_all(message).await?;
        self.wr.write_all(b"\r\n").await?;
        self.until_tagged(&tag).await
    }
}

/// The size of a literal announced at the end of a line (`{n}\r\n` or `~{n}\r\n`).
fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let line = line.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    let digits = &line[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::literal_len;

    #[test]
    fn literal_markers() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {12}\r\n"), Some(12));
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] ~{3}\r\n"), Some(3));
        assert_eq!(literal_len(b"* OK done\r\n"), None);
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
    }
}
