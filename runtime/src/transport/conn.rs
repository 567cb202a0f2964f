//! [`Conn`]: a client connection whose layers can be upgraded in place, plain → TLS → TLS+DEFLATE
//! (or plain → DEFLATE), and [`accept_tls`] for the implicit-TLS listeners.
//!
//! The driver's contract at each upgrade (this module cannot see the driver's read buffer):
//! - **STARTTLS** (RFC 3207 §4.2 / RFC 9051 §6.2.1 / RFC 2595 §4): after reading the STARTTLS
//!   line, if the driver's reader holds any further byte, the client pipelined plaintext after
//!   the command; those bytes must never be interpreted after the handshake (command injection).
//!   Refuse (or drop the connection) instead of upgrading. Otherwise write and flush the OK,
//!   take the stream out of the reader (`BufReader::into_inner`) and call [`Conn::start_tls`];
//!   all session state learnt before TLS (e.g. capabilities) is discarded.
//! - **COMPRESS** (RFC 4978 §3): write and flush the tagged OK uncompressed, then call
//!   [`Conn::start_deflate`] with the bytes the reader still buffers: the client may already have
//!   sent compressed data after the OK, and those bytes are part of the deflate stream.
//! - Order: TLS is always under compression (the compressed bytes are TLS's payload). STARTTLS
//!   after COMPRESS, or a second STARTTLS/COMPRESS, is refused here with `InvalidInput`; drivers
//!   check [`Conn::can_start_tls`] / [`Conn::can_compress`] first to answer the client properly.

use super::deflate::Deflate;
use super::tls::Tls;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;

/// Any bidirectional byte stream a daemon serves (TCP, Unix socket, a test duplex).
pub trait AsyncReadWrite: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncReadWrite for T {}

/// A type-erased stream, for drivers that accept TCP and Unix sockets alike: `Conn<BoxIo>`.
pub type BoxIo = Box<dyn AsyncReadWrite>;

/// A client connection: plain, TLS, or compressed over either.
pub enum Conn<IO> {
    Plain(IO),
    Tls(Box<TlsStream<IO>>),
    /// COMPRESS=DEFLATE over the inner connection; `tls` remembers what was below, since the
    /// inner stream is no longer reachable.
    Deflate {
        stream: Box<Deflate<Conn<IO>>>,
        tls: Option<TlsInfo>,
    },
}

impl<IO> std::fmt::Debug for Conn<IO> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Conn::Plain(_) => f.write_str("Conn::Plain"),
            Conn::Tls(_) => f.write_str("Conn::Tls"),
            Conn::Deflate { tls, .. } => write!(f, "Conn::Deflate(tls: {})", tls.is_some()),
        }
    }
}

/// What was negotiated, for logs and `Received:` headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsInfo {
    /// e.g. `TLSv1_3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher: String,
    /// The server name the client asked for (SNI), if any.
    pub sni: Option<String>,
}

impl TlsInfo {
    fn of<IO>(stream: &TlsStream<IO>) -> TlsInfo {
        let (_, conn) = stream.get_ref();
        let version = conn
            .protocol_version()
            .map(|v| v.as_str().map_or_else(|| format!("{v:?}"), str::to_owned))
            .unwrap_or_default();
        let cipher = conn
            .negotiated_cipher_suite()
            .map(|c| {
                let s = c.suite();
                s.as_str().map_or_else(|| format!("{s:?}"), str::to_owned)
            })
            .unwrap_or_default();
        TlsInfo {
            version,
            cipher,
            sni: conn.server_name().map(str::to_owned),
        }
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Runs the server side of a TLS handshake on `io`, bounded by the handshake timeout; used both
/// by the implicit-TLS listeners (IMAPS 993, POP3S 995) right after accept, and by STARTTLS.
/// A timeout is an `io::ErrorKind::TimedOut` error.
pub async fn accept_tls<IO>(tls: &Tls, io: IO) -> io::Result<Conn<IO>>
where
    IO: AsyncRead + AsyncWrite + Unpin,
{
    let handshake = tls.acceptor().accept(io);
    match tokio::time::timeout(tls.options().handshake_timeout, handshake).await {
        Ok(Ok(stream)) => Ok(Conn::Tls(Box::new(stream))),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "TLS handshake timed out",
        )),
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> Conn<IO> {
    /// A new plain connection.
    pub fn plain(io: IO) -> Self {
        Conn::Plain(io)
    }

    /// Whether the transport is encrypted (TLS, possibly under compression).
    pub fn is_tls(&self) -> bool {
        match self {
            Conn::Plain(_) => false,
            Conn::Tls(_) => true,
            Conn::Deflate { tls, .. } => tls.is_some(),
        }
    }

    pub fn is_compressed(&self) -> bool {
        matches!(self, Conn::Deflate { .. })
    }

    /// STARTTLS is possible only on a plain, uncompressed connection.
    pub fn can_start_tls(&self) -> bool {
        matches!(self, Conn::Plain(_))
    }

    /// COMPRESS is possible once per connection.
    pub fn can_compress(&self) -> bool {
        !self.is_compressed()
    }

    /// The negotiated TLS parameters, when encrypted.
    pub fn tls_info(&self) -> Option<TlsInfo> {
        match self {
            Conn::Plain(_) => None,
            Conn::Tls(stream) => Some(TlsInfo::of(stream)),
            Conn::Deflate { tls, .. } => tls.clone(),
        }
    }

    /// Upgrades a plain connection to TLS (server side of STARTTLS). The caller must already have
    /// sent and flushed its OK and checked that no plaintext is buffered (see the module doc).
    /// Fails with `InvalidInput` if the connection is not plain; a failed handshake loses the
    /// connection (the client is no longer speaking plaintext).
    pub async fn start_tls(self, tls: &Tls) -> io::Result<Conn<IO>> {
        match self {
            Conn::Plain(io) => accept_tls(tls, io).await,
            Conn::Tls(_) => Err(invalid("STARTTLS: TLS is already active")),
            // RFC 4978 §3: compression must sit inside TLS, never under it.
            Conn::Deflate { .. } => Err(invalid("STARTTLS after COMPRESS")),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin + Send> Conn<IO> {
    /// Starts COMPRESS=DEFLATE over this connection (plain or TLS). `already_read` are the bytes
    /// the driver's reader holds beyond the COMPRESS command line (see the module doc). Fails with
    /// `InvalidInput` if compression is already active.
    pub fn start_deflate(self, already_read: Vec<u8>) -> io::Result<Conn<IO>> {
        if self.is_compressed() {
            return Err(invalid("COMPRESS: compression is already active"));
        }
        let tls = self.tls_info();
        Ok(Conn::Deflate {
            stream: Box::new(Deflate::new(self, already_read)),
            tls,
        })
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Conn<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(io) => Pin::new(io).poll_read(cx, buf),
            Conn::Tls(stream) => Pin::new(stream.as_mut()).poll_read(cx, buf),
            Conn::Deflate { stream, .. } => Pin::new(stream.as_mut()).poll_read(cx, buf),
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Conn<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(io) => Pin::new(io).poll_write(cx, buf),
            Conn::Tls(stream) => Pin::new(stream.as_mut()).poll_write(cx, buf),
            Conn::Deflate { stream, .. } => Pin::new(stream.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(io) => Pin::new(io).poll_flush(cx),
            Conn::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(cx),
            Conn::Deflate { stream, .. } => Pin::new(stream.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(io) => Pin::new(io).poll_shutdown(cx),
            Conn::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(cx),
            Conn::Deflate { stream, .. } => Pin::new(stream.as_mut()).poll_shutdown(cx),
        }
    }
}
