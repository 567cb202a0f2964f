//! Password hashing for login: new hashes are argon2id PHC strings; verification also accepts the
//! formats accounts imported from WildDuck carry.
//!
//! Accepted by [`verify`]:
//! - `$argon2id$` / `$argon2i$` / `$argon2d$` PHC strings (parameters read from the string);
//! - bcrypt `$2a$` / `$2b$` / `$2y$` (WildDuck's older default);
//! - `$pbkdf2-sha256$` and `$pbkdf2-sha512$` PHC strings (WildDuck's default is pbkdf2-sha256 with
//!   100,000 iterations).
//!
//! Invariants: the final comparison is constant-time in every format (the crates compare with
//! `subtle`; pbkdf2 outputs are compared as `password_hash::Output`, whose equality is
//! constant-time). A malformed or unknown hash never verifies. Passwords are never logged.

use argon2::Argon2;
use argon2::password_hash::{Output, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes `password` with argon2id (the crate's default parameters: 19 MiB, 2 passes, 1 lane —
/// the OWASP minimum) and a fresh 16-byte random salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// True if `password` matches `stored` (any format listed in the module doc).
pub fn verify(password: &str, stored: &str) -> bool {
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
    {
        return bcrypt::verify(password, stored).unwrap_or(false);
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    match parsed.algorithm.as_str() {
        "argon2id" | "argon2i" | "argon2d" => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        "pbkdf2-sha256" => verify_pbkdf2(password, &parsed, pbkdf2::pbkdf2_hmac::<sha2::Sha256>),
        "pbkdf2-sha512" => verify_pbkdf2(password, &parsed, pbkdf2::pbkdf2_hmac::<sha2::Sha512>),
        _ => false,
    }
}

/// True if `stored` is not argon2id, so a successful login should re-hash the password.
pub fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with("$argon2id$")
}

/// PBKDF2-HMAC over the PHC fields `i` (iterations), salt (B64, decoded) and hash (whose length
/// is the derived key length). Done by hand because the `pbkdf2` crate's PHC verifier only
/// accepts sha256.
fn verify_pbkdf2(
    password: &str,
    parsed: &PasswordHash<'_>,
    derive: fn(&[u8], &[u8], u32, &mut [u8]),
) -> bool {
    let Some(expected) = parsed.hash else {
        return false;
    };
    let Some(rounds) = parsed
        .params
        .get_decimal("i")
        .filter(|&i| (1..=10_000_000).contains(&i))
    else {
        return false;
    };
    let Some(salt) = parsed.salt else {
        return false;
    };
    let mut salt_buf = [0u8; 128];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    derive(password.as_bytes(), salt, rounds, &mut out);
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PW: &str = "correct horse";

    /// Generated outside Rust (Python's `crypt` with libxcrypt for bcrypt, `hashlib.pbkdf2_hmac`
    /// for pbkdf2, the `argon2` reference CLI for argon2), so they check interoperability, not just round trips.
    const VECTORS: &[&str] = &[
        "$2a$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$2y$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e",
        "$pbkdf2-sha256$i=1000,l=32$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
        "$pbkdf2-sha512$i=1000,l=64$AAECAwQFBgcICQoLDA0ODw$Xpx07WjVx4vCIvrmBRj8uOoVVtGqJqtUv2J5bhizSQs7osCteF7W4A61dZDqSIqQjO+dxO6p5FT/Uy7QRBXSXA",
        // The reference implementation's CLI (Debian `argon2`), small parameters for speed.
        "$argon2id$v=19$m=8,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$M7jw0GQI4Kfcxf+xPldfNRYttP89scc9XVAYAcaZ0U0",
        "$argon2i$v=19$m=16,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$6JwqiqIjFY9iX/OgTtB2fkdZ73jhsjiiaG7cJqJCguw",
    ];

    #[test]
    fn known_vectors_verify_and_reject_wrong_passwords() {
        for stored in VECTORS {
            assert!(verify(PW, stored), "should verify: {stored}");
            for wrong in ["", "correct horsf", "Correct horse", "correct horse "] {
                assert!(!verify(wrong, stored), "{wrong:?} must not verify {stored}");
            }
        }
    }

    #[test]
    fn fresh_hash_is_argon2id_salted_and_verifies() {
        let a = hash(PW).unwrap();
        let b = hash(PW).unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "salts must differ");
        assert!(verify(PW, &a) && verify(PW, &b));
        assert!(!verify("nope", &a));
        assert!(!needs_rehash(&a));
        assert!(needs_rehash(VECTORS[0]));
    }

    #[test]
    fn garbage_never_verifies() {
        for stored in [
            "",
            "correct horse",
            "$2b$04$short",
            "$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw",
            "$pbkdf2-sha256$i=0,l=32$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
            "$pbkdf2-sha1$i=1000$AAECAwQFBgcICQoLDA0ODw$yRTMTwbMbo9G0VfjobWqerzuuxe7BETNTErBbKKumGQ",
            "$md5$whatever",
            "$6$saltsalt$abc",
        ] {
            assert!(!verify(PW, stored), "{stored:?}");
        }
    }
}
