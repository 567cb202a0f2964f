//! The one rustls crypto provider of the workspace: `ring`.
//!
//! Why `ring`: it builds from crates.io with a C compiler only (aws-lc-rs needs cmake and a long
//! cold build), and it is the MongoDB driver's default, so adding that driver later brings no
//! second provider. Invariant: every rustls config we build names this provider explicitly
//! (`builder_with_provider`), and daemons also install it as the process default at start-up,
//! so a library that calls plain `ServerConfig::builder()` / `ClientConfig::builder()` can never
//! hit rustls' "no process-level CryptoProvider" panic, even if another provider gets compiled in.

use rustls::crypto::CryptoProvider;
use std::sync::Arc;

/// The provider every Eider TLS config uses.
pub fn crypto_provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs [`crypto_provider`] as rustls' process-wide default. Idempotent: when a default is
/// already installed (by an earlier call, or by a library), that one is kept.
pub fn install_crypto_provider() {
    if CryptoProvider::get_default().is_none() {
        // A concurrent installer may win the race; either way a default now exists.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}
