//! Password hashing for login: new hashes are argon2id PHC strings; verification also accepts the
//! formats accounts imported from WildDuck carry.
//!
//! Accepted by [`verify`]:
//! - `$argon2id$` / `$argon2i$` / `$argon2d$` PHC strings (parameters read from the string);
//! - bcrypt `$2a$` / `$2b$` / `$2y$` (WildDuck's older default);
//! - `$pbkdf2-sha256$` and `$pbkdf2-sha512$` PHC strings (WildDuck's default is pbkdf2-sha256 with
//!   100,000 iterations).
//!
//! Argon2 verification runs at most [`argon2_slots`] at a time in work areas kept for reuse
//! (19 MiB each at the default parameters): allocating and freeing one per login left glibc's
//! per-thread arenas holding tens of MiB per blocking thread, so a daemon grew by ~13 MiB per
//! login burst connection (measured with `bench/scripts/imap-idle.sh`). Reuse bounds it to
//! `argon2_slots` areas, and the cap also keeps a login flood from using every core.
//!
//! Invariants: the final comparison is constant-time in every format (the crates compare with
//! `subtle`; pbkdf2 outputs are compared as `password_hash::Output`, whose equality is
//! constant-time). A malformed or unknown hash never verifies. Passwords are never logged.

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

impl HashError {
    pub(crate) fn new(why: String) -> Self {
        Self(why)
    }
}

/// Verifications run by [`verify`] in this process, whatever their outcome.
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// How many password verifications this process has run (any format, any outcome): each login
/// attempt that reaches the password costs one, so this counts the guesses an attacker got.
pub fn verifications() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

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
    VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
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
        "argon2id" | "argon2i" | "argon2d" => verify_argon2(password, &parsed),
        "pbkdf2-sha256" => verify_pbkdf2(password, &parsed, pbkdf2::pbkdf2_hmac::<sha2::Sha256>),
        "pbkdf2-sha512" => verify_pbkdf2(password, &parsed, pbkdf2::pbkdf2_hmac::<sha2::Sha512>),
        _ => false,
    }
}

/// True if `stored` is not argon2id, so a successful login should re-hash the password.
pub fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with("$argon2id$")
}

/// Work areas larger than this are not kept for reuse (a hash with unusual parameters).
const MAX_POOLED_BLOCKS: usize = 64 * 1024;

/// Concurrent argon2 computations allowed: the available cores.
pub fn argon2_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Counting gate plus the idle work areas (one per slot at most).
struct Argon2Pool {
    state: Mutex<(usize, Vec<Vec<Block>>)>,
    freed: Condvar,
}

fn pool() -> &'static Argon2Pool {
    static POOL: OnceLock<Argon2Pool> = OnceLock::new();
    POOL.get_or_init(|| Argon2Pool {
        state: Mutex::new((0, Vec::new())),
        freed: Condvar::new(),
    })
}

impl Argon2Pool {
    /// Waits for a slot and returns a work area of at least `blocks` blocks.
    fn take(&self, blocks: usize) -> Vec<Block> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while st.0 >= argon2_slots() {
            st = self.freed.wait(st).unwrap_or_else(|e| e.into_inner());
        }
        st.0 += 1;
        let mut area = st.1.pop().unwrap_or_default();
        drop(st);
        if area.len() < blocks {
            area.resize(blocks, Block::new());
        }
        area
    }

    fn put(&self, area: Vec<Block>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.0 -= 1;
        if area.len() <= MAX_POOLED_BLOCKS {
            st.1.push(area);
        }
        drop(st);
        self.freed.notify_one();
    }
}

/// Argon2 (any variant) over the PHC fields, in a pooled work area; the output length is the
/// stored hash's.
fn verify_argon2(password: &str, parsed: &PasswordHash<'_>) -> bool {
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    let pool = pool();
    let mut area = pool.take(blocks);
    let done = argon.hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        &mut out,
        &mut area[..blocks],
    );
    pool.put(area);
    done.is_ok() && Output::new(&out).is_ok_and(|computed| computed == expected)
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

    #[test]
    fn concurrent_argon2_verifications_share_the_pool() {
        // More threads than slots: each waits for a work area, all answer correctly, and areas
        // in use plus idle ones never exceed the slots.
        let good = hash(PW).unwrap();
        let handles: Vec<_> = (0..4 * argon2_slots())
            .map(|i| {
                let good = good.clone();
                std::thread::spawn(move || {
                    let pw = if i % 2 == 0 { PW } else { "wrong" };
                    (i, verify(pw, &good))
                })
            })
            .collect();
        for h in handles {
            let (i, ok) = h.join().unwrap();
            assert_eq!(ok, i % 2 == 0, "thread {i}");
        }
        // Other tests may be verifying right now: check the invariant, not an idle pool.
        let st = pool().state.lock().unwrap();
        assert!(
            st.0 + st.1.len() <= argon2_slots(),
            "{} + {}",
            st.0,
            st.1.len()
        );
    }
}
