//! Checking and hashing login passwords the one way every protocol does it (IMAP, POP3, the
//! HTTP API): on the blocking pool, never on an async worker (an argon2 verification takes tens
//! of milliseconds of CPU; a burst of them on the workers stalls every protocol of
//! `eider serve`), and at the same cost whether the user exists or not.
//!
//! Invariant: [`check`] runs exactly one verification per call. A missing user (or any caller
//! without a stored hash) is verified against [`dummy_hash`], an argon2id hash with the same
//! parameters as every new hash, made once per process from a random password; the answer is
//! then always false. So a login's latency does not tell unknown, disabled and real users apart
//! (callers must also verify disabled users' real hashes before refusing them).

use crate::password::{self, HashError};
use std::sync::OnceLock;

/// An argon2id hash of a random password, computed on first use (the parameters are
/// [`password::hash`]'s, so verifying against it costs what verifying a real user costs).
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 24];
        rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
        let secret: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        // `hash` only fails on an invalid salt, which `encode_b64` of 16 bytes never makes; a
        // string that never verifies keeps the answer right if it ever did.
        password::hash(&secret).unwrap_or_else(|_| String::from("$argon2id$invalid"))
    })
}

/// True if `password` matches `stored`; with `stored` `None` (no such user) the dummy hash is
/// verified and the answer is false. Runs on the blocking pool.
pub async fn check(password: String, stored: Option<String>) -> bool {
    let joined = tokio::task::spawn_blocking(move || match stored {
        Some(hash) => password::verify(&password, &hash),
        None => {
            password::verify(&password, dummy_hash());
            false
        }
    })
    .await;
    joined.unwrap_or_else(|e| {
        tracing::error!(error = %e, "password verification task failed");
        false
    })
}

/// [`password::hash`] on the blocking pool.
pub async fn hash(password: String) -> Result<String, HashError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| HashError::new(format!("hashing task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn unknown_users_cost_one_verification_of_a_real_hash() {
        let real = hash("pw".into()).await.unwrap();
        // Same algorithm and parameters as a real hash: only the salt and output differ.
        let params = |h: &str| h.rsplitn(3, '$').nth(2).map(str::to_owned);
        assert_eq!(params(dummy_hash()), params(&real));

        let before = password::verifications();
        assert!(!check("pw".into(), None).await);
        assert!(!check(String::new(), None).await);
        assert!(check("pw".into(), Some(real.clone())).await);
        assert!(!check("nope".into(), Some(real)).await);
        // Other tests of this binary may verify concurrently: at least ours ran.
        assert!(password::verifications() - before >= 4);
    }
}
