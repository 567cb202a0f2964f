//! Test-only: a miniature line protocol driver that upgrades its [`Conn`] the way the real
//! daemons must (STARTTLS refusing pipelined plaintext, COMPRESS handing over buffered bytes),
//! and a client that performs the same upgrades with rustls and our [`Deflate`].
//!
//! Protocol: server greets `* OK ready`; commands are `TAG VERB [ARG]`:
//! `STARTTLS`, `COMPRESS DEFLATE`, `NOOP` (answers `TAG OK tls=B deflate=B`),
//! `BIG N` (N untagged lines, then `TAG OK`), `ECHO TEXT` (`TAG OK TEXT`), `CAPABILITY`,
//! `LOGOUT`.

use super::{BoxIo, Conn, Deflate, Tls};
use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use std::io;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// The `i`th line of a `BIG` answer.
pub fn big_line(i: usize) -> String {
    format!("* {i} FETCH (FLAGS (\\Seen) UID {})\r\n", i * 7 + 3)
}

/// Serves one connection until LOGOUT or end of stream.
pub async fn serve<IO>(conn: Conn<IO>, tls: Option<Tls>) -> io::Result<()>
where
    IO: AsyncRead + AsyncWrite + Unpin + Send,
{
    let mut reader = BufReader::new(conn);
    reader.get_mut().write_all(b"* OK ready\r\n").await?;
    reader.get_mut().flush().await?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let line = line.trim_end();
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        let (verb, arg) = rest.split_once(' ').unwrap_or((rest, ""));
        // Checked before anything else borrows the reader: bytes pipelined after this line.
        let pipelined = !reader.buffer().is_empty();
        let out = reader.get_mut();
        match verb {
            "STARTTLS" => {
                let Some(tls) = tls.as_ref().filter(|_| out.can_start_tls()) else {
                    out.write_all(format!("{tag} NO cannot\r\n").as_bytes())
                        .await?;
                    out.flush().await?;
                    continue;
                };
                // The contract: plaintext pipelined after STARTTLS is never carried over.
                if pipelined {
                    out.write_all(format!("{tag} BAD data after STARTTLS\r\n").as_bytes())
                        .await?;
                    out.flush().await?;
                    return Ok(());
                }
                out.write_all(format!("{tag} OK begin TLS\r\n").as_bytes())
                    .await?;
                out.flush().await?;
                let conn = reader.into_inner().start_tls(tls).await?;
                reader = BufReader::new(conn);
                continue;
            }
            "COMPRESS" => {
                out.write_all(format!("{tag} OK deflate active\r\n").as_bytes())
                    .await?;
                out.flush().await?;
                let already_read = reader.buffer().to_vec();
                let conn = reader.into_inner().start_deflate(already_read)?;
                reader = BufReader::new(conn);
                continue;
            }
            "NOOP" => {
                let text = format!(
                    "{tag} OK tls={} deflate={}\r\n",
                    out.is_tls(),
                    out.is_compressed()
                );
                out.write_all(text.as_bytes()).await?;
            }
            "BIG" => {
                let n: usize = arg.parse().unwrap_or(0);
                for i in 0..n {
                    out.write_all(big_line(i).as_bytes()).await?;
                }
                out.write_all(format!("{tag} OK big\r\n").as_bytes())
                    .await?;
            }
            // Enough of IMAP for `openssl s_client -starttls imap`.
            "CAPABILITY" => {
                let text = format!("* CAPABILITY IMAP4rev1 STARTTLS\r\n{tag} OK done\r\n");
                out.write_all(text.as_bytes()).await?;
            }
            "ECHO" => {
                out.write_all(format!("{tag} OK {arg}\r\n").as_bytes())
                    .await?
            }
            "LOGOUT" => {
                out.write_all(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes())
                    .await?;
                out.shutdown().await?;
                return Ok(());
            }
            _ => out.write_all(format!("{tag} BAD ?\r\n").as_bytes()).await?,
        }
        out.flush().await?;
    }
}

/// Binds port 0 and serves every connection with [`serve`]; `implicit` does the TLS handshake
/// first (IMAPS-style). Returns the port.
pub async fn spawn_server(tls: Option<Tls>, implicit: bool) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let tls = tls.clone();
            tokio::spawn(async move {
                let conn = match (&tls, implicit) {
                    (Some(t), true) => match super::accept_tls(t, tcp).await {
                        Ok(conn) => conn,
                        Err(_) => return,
                    },
                    _ => Conn::plain(tcp),
                };
                let _ = serve(conn, tls).await;
            });
        }
    });
    port
}

/// The client side of the mini protocol over any stream, upgradeable like the server.
pub struct Client {
    reader: BufReader<BoxIo>,
    next_tag: usize,
}

impl Client {
    pub fn new(io: BoxIo) -> Self {
        Client {
            reader: BufReader::new(io),
            next_tag: 0,
        }
    }

    pub async fn connect(port: u16) -> Self {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        Client::new(Box::new(tcp))
    }

    /// Connects with implicit TLS; also returns the server's leaf certificate (DER).
    pub async fn connect_tls(port: u16, config: Arc<ClientConfig>) -> (Self, Vec<u8>) {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let (stream, leaf) = handshake(Box::new(tcp), config).await;
        (Client::new(stream), leaf)
    }

    pub async fn line(&mut self) -> String {
        let mut line = String::new();
        let read = self.reader.read_line(&mut line);
        tokio::time::timeout(std::time::Duration::from_secs(20), read)
            .await
            .expect("no line within 20 s")
            .unwrap();
        line
    }

    /// Sends `TAG command` and returns every line up to and including the tagged one.
    pub async fn cmd(&mut self, command: &str) -> Vec<String> {
        self.next_tag += 1;
        let tag = format!("t{}", self.next_tag);
        let out = self.reader.get_mut();
        out.write_all(format!("{tag} {command}\r\n").as_bytes())
            .await
            .unwrap();
        out.flush().await.unwrap();
        let mut lines = Vec::new();
        loop {
            let line = self.line().await;
            assert!(!line.is_empty(), "EOF after {lines:?}");
            let done = line.starts_with(&format!("{tag} "));
            lines.push(line);
            if done {
                return lines;
            }
        }
    }

    /// STARTTLS then the handshake; returns the server's leaf certificate.
    pub async fn starttls(mut self, config: Arc<ClientConfig>) -> (Self, Vec<u8>) {
        let answer = self.cmd("STARTTLS").await;
        assert!(answer[0].contains(" OK "), "{answer:?}");
        assert!(self.reader.buffer().is_empty());
        let (stream, leaf) = handshake(self.reader.into_inner(), config).await;
        let mut client = Client::new(stream);
        client.next_tag = self.next_tag;
        (client, leaf)
    }

    pub async fn compress(mut self) -> Self {
        let answer = self.cmd("COMPRESS DEFLATE").await;
        assert!(answer[0].contains(" OK "), "{answer:?}");
        let rest = self.reader.buffer().to_vec();
        let stream = Deflate::new(self.reader.into_inner(), rest);
        let mut client = Client::new(Box::new(stream));
        client.next_tag = self.next_tag;
        client
    }

    pub fn into_inner(self) -> BoxIo {
        self.reader.into_inner()
    }
}

async fn handshake(io: BoxIo, config: Arc<ClientConfig>) -> (BoxIo, Vec<u8>) {
    let name = ServerName::try_from("localhost").unwrap();
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, io)
        .await
        .unwrap();
    let leaf = stream.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    (Box::new(stream), leaf)
}

/// Skip convention for external tools: `None` (and a printed reason) when `tool` is missing,
/// unless `EIDER_REQUIRE_ALL=1`, which turns the skip into a failure.
pub fn require_tool(tool: &str) -> Option<()> {
    let found = std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok()
        || std::process::Command::new(tool)
            .arg("version")
            .output()
            .is_ok();
    if found {
        return Some(());
    }
    assert!(
        std::env::var("EIDER_REQUIRE_ALL").as_deref() != Ok("1"),
        "{tool} not installed and EIDER_REQUIRE_ALL=1"
    );
    println!("skipped: {tool} not installed");
    None
}
