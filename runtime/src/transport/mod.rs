//! The transport layer under every daemon's protocol driver: TLS (implicit and STARTTLS) and
//! COMPRESS=DEFLATE, as one stream type [`Conn`] that is upgraded in place.
//!
//! - [`Tls`]: the `[tls]` certificate and key, reloaded without restart (file change or SIGHUP).
//! - [`Conn`]: plain → TLS → TLS+DEFLATE (or plain → DEFLATE), with the drivers' contract for
//!   buffered bytes at each upgrade documented in [`conn`].
//! - [`accept_tls`]: the implicit-TLS handshake with a timeout, for `[imaps]` and `[pop3s]`.
//! - [`crypto_provider`] / [`install_crypto_provider`]: the workspace's single rustls provider
//!   (`ring`; see `docs/tls.md`).
//!
//! Invariant: compression always sits inside TLS (RFC 4978 §3): a `Conn` never runs TLS over
//! a compressed stream.
//!
//! How a driver uses it (IMAP shown; POP3 `STLS` and LMTP `STARTTLS` are the same):
//!
//! ```no_run
//! use eider_runtime::transport::{Conn, Tls, accept_tls};
//! use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
//!
//! async fn handle(tcp: tokio::net::TcpStream, tls: Option<Tls>, implicit: bool) -> std::io::Result<()> {
//!     let conn = match (&tls, implicit) {
//!         (Some(tls), true) => accept_tls(tls, tcp).await?, // [imaps] / [pop3s]
//!         _ => Conn::plain(tcp),
//!     };
//!     let mut reader = BufReader::new(conn);
//!     let mut line = String::new();
//!     while reader.read_line(&mut line).await? > 0 {
//!         match line.as_str() {
//!             "a STARTTLS\r\n" => {
//!                 let Some(tls) = tls.as_ref().filter(|_| reader.get_ref().can_start_tls()) else {
//!                     reader.get_mut().write_all(b"a BAD not now\r\n").await?;
//!                     continue;
//!                 };
//!                 if !reader.buffer().is_empty() {
//!                     return Ok(()); // plaintext pipelined after STARTTLS: never carry it over
//!                 }
//!                 reader.get_mut().write_all(b"a OK begin TLS\r\n").await?;
//!                 reader.get_mut().flush().await?;
//!                 let conn = reader.into_inner().start_tls(tls).await?;
//!                 reader = BufReader::new(conn); // and forget pre-TLS session state
//!             }
//!             "b COMPRESS DEFLATE\r\n" if reader.get_ref().can_compress() => {
//!                 reader.get_mut().write_all(b"b OK DEFLATE active\r\n").await?;
//!                 reader.get_mut().flush().await?;
//!                 let already_read = reader.buffer().to_vec(); // already compressed
//!                 let conn = reader.into_inner().start_deflate(already_read)?;
//!                 reader = BufReader::new(conn);
//!             }
//!             _ => { /* ... responses, then flush() once per batch (a sync flush) */ }
//!         }
//!         line.clear();
//!     }
//!     Ok(())
//! }
//! ```

pub mod conn;
pub mod deflate;
pub mod provider;
#[cfg(any(test, feature = "test-util"))]
pub mod testcert;
pub mod tls;

pub use conn::{AsyncReadWrite, BoxIo, Conn, TlsInfo, accept_tls};
pub use deflate::Deflate;
pub use provider::{crypto_provider, install_crypto_provider};
pub use tls::{Tls, TlsError, TlsOptions};

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests_compress;
#[cfg(test)]
mod tests_tls;
