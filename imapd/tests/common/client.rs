//! A raw IMAP test client: sends lines, reads responses with their literals.

#![allow(dead_code)]

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

pub struct Client {
    r: BufReader<OwnedReadHalf>,
    w: OwnedWriteHalf,
}

/// One response: its text with literals inlined (as raw bytes, lossily shown).
pub type Resp = Vec<u8>;

impl Client {
    pub async fn connect(addr: std::net::SocketAddr) -> (Self, String) {
        let s = TcpStream::connect(addr).await.unwrap();
        let (r, w) = s.into_split();
        let mut c = Client {
            r: BufReader::new(r),
            w,
        };
        let greeting = c.response().await.expect("greeting");
        (c, String::from_utf8_lossy(&greeting).into_owned())
    }

    /// Connects from the local address `from` (e.g. `127.0.0.2`, to appear as another client).
    pub async fn connect_from(
        addr: std::net::SocketAddr,
        from: std::net::IpAddr,
    ) -> (Self, String) {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(std::net::SocketAddr::new(from, 0)).unwrap();
        let s = socket.connect(addr).await.unwrap();
        let (r, w) = s.into_split();
        let mut c = Client {
            r: BufReader::new(r),
            w,
        };
        let greeting = c.response().await.expect("greeting");
        (c, String::from_utf8_lossy(&greeting).into_owned())
    }

    pub async fn login(addr: std::net::SocketAddr) -> Self {
        let (mut c, _) = Self::connect(addr).await;
        let r = c
            .cmd("l", &format!("LOGIN {} {}", super::USER, super::PASS))
            .await;
        assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
        c
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).await.unwrap();
    }

    /// Reads one response (a line plus any literals it announces); `None` at end of stream.
    pub async fn response(&mut self) -> Option<Resp> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            let n = tokio::time::timeout(
                std::time::Duration::from_secs(20),
                self.r.read_until(b'\n', &mut line),
            )
            .await
            .expect("response timed out")
            .unwrap();
            if n == 0 {
                return if out.is_empty() { None } else { Some(out) };
            }
            out.extend_from_slice(&line);
            let trimmed = line.strip_suffix(b"\r\n").unwrap_or(&line);
            if let Some(size) = literal_size(trimmed) {
                let mut data = vec![0; size];
                self.r.read_exact(&mut data).await.unwrap();
                out.extend_from_slice(&data);
                continue;
            }
            return Some(out);
        }
    }

    /// Reads responses up to and including the one tagged `tag`; returns them as strings.
    pub async fn until(&mut self, tag: &str) -> Vec<String> {
        let mut all = Vec::new();
        let prefix = format!("{tag} ");
        while let Some(r) = self.response().await {
            let s = String::from_utf8_lossy(&r).trim_end().to_owned();
            let done = s.starts_with(&prefix);
            all.push(s);
            if done {
                return all;
            }
        }
        panic!("connection closed before {tag}: {all:?}");
    }

    /// Raw responses up to the tagged one.
    pub async fn until_raw(&mut self, tag: &str) -> Vec<Resp> {
        let mut all = Vec::new();
        let prefix = format!("{tag} ");
        while let Some(r) = self.response().await {
            let done = r.starts_with(prefix.as_bytes());
            all.push(r);
            if done {
                return all;
            }
        }
        panic!("connection closed before {tag}");
    }

    pub async fn cmd(&mut self, tag: &str, text: &str) -> Vec<String> {
        self.send(format!("{tag} {text}\r\n").as_bytes()).await;
        self.until(tag).await
    }
}

fn literal_size(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&inner[open + 1..]).ok()?.parse().ok()
}

/// The literal data of the first `{n}` in a response.
pub fn literal_of(resp: &[u8]) -> Vec<u8> {
    let pos = resp
        .windows(3)
        .position(|w| w == b"}\r\n")
        .expect("no literal");
    let open = resp[..pos].iter().rposition(|&b| b == b'{').unwrap();
    let n: usize = std::str::from_utf8(&resp[open + 1..pos])
        .unwrap()
        .parse()
        .unwrap();
    resp[pos + 3..pos + 3 + n].to_vec()
}
