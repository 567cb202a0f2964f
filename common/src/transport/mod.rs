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
