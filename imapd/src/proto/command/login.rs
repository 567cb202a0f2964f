//! LOGIN (RFC 3501 §6.2.3), AUTHENTICATE (§6.2.2, SASL-IR RFC 4959) and the SASL PLAIN message
//! (RFC 4616).

use super::super::cursor::Cursor;
use super::super::error::{PResult, SyntaxError};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// `AUTHENTICATE mechanism [initial-response]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Authenticate {
    /// Upper-cased mechanism name.
    pub mechanism: String,
    /// SASL-IR initial response, base64-decoded; `=` gives an empty response.
    pub initial: Option<Vec<u8>>,
}

// Credentials must never reach logs (house style).
impl std::fmt::Debug for Authenticate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticate")
            .field("mechanism", &self.mechanism)
            .field("initial", &self.initial.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// `LOGIN userid password`.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub username: Vec<u8>,
    pub password: Vec<u8>,
}

impl std::fmt::Debug for Login {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Login")
            .field("username", &String::from_utf8_lossy(&self.username))
            .finish_non_exhaustive()
    }
}

pub(super) fn parse_authenticate(c: &mut Cursor<'_>) -> PResult<Authenticate> {
    c.sp()?;
    let mechanism = c.atom_upper()?;
    let mut initial = None;
    if c.peek() == Some(b' ') {
        c.sp()?;
        if c.at_end() {
            // Trailing space only.
            return Ok(Authenticate { mechanism, initial });
        }
        let data = c.take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='));
        initial = Some(decode_sasl(data)?);
    }
    Ok(Authenticate { mechanism, initial })
}

/// Decodes a base64 SASL response line; `=` alone is the empty response (RFC 4959 §3).
pub fn decode_sasl(line: &[u8]) -> PResult<Vec<u8>> {
    if line == b"=" {
        return Ok(Vec::new());
    }
    STANDARD.decode(line).map_err(|_| SyntaxError("bad base64"))
}

/// Whether a continuation line cancels the exchange (RFC 3501 §6.2.2: `*`).
pub fn is_sasl_cancel(line: &[u8]) -> bool {
    line == b"*"
}

/// SASL PLAIN credentials (RFC 4616): `authzid NUL authcid NUL passwd`.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainCredentials {
    pub authzid: String,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for PlainCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlainCredentials")
            .field("authzid", &self.authzid)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Splits a decoded PLAIN message.
pub fn parse_plain(msg: &[u8]) -> PResult<PlainCredentials> {
    let mut parts = msg.split(|&b| b == 0);
    let (Some(z), Some(u), Some(p), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SyntaxError("bad PLAIN message"));
    };
    let s = |b: &[u8]| String::from_utf8(b.to_vec()).map_err(|_| SyntaxError("PLAIN not UTF-8"));
    let creds = PlainCredentials {
        authzid: s(z)?,
        username: s(u)?,
        password: s(p)?,
    };
    if creds.username.is_empty() {
        return Err(SyntaxError("empty PLAIN username"));
    }
    Ok(creds)
}

pub(super) fn parse_login(c: &mut Cursor<'_>) -> PResult<Login> {
    c.sp()?;
    let username = c.astring()?;
    c.sp()?;
    let password = c.astring()?;
    Ok(Login { username, password })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let b = decode_sasl(b"AHVzZXIAcGFzcw==").unwrap();
        let p = parse_plain(&b).unwrap();
        assert_eq!(
            (p.authzid.as_str(), p.username.as_str(), p.password.as_str()),
            ("", "user", "pass")
        );
        assert!(!format!("{p:?}").contains("pass\""));
        assert!(parse_plain(b"\0user").is_err());
        assert!(parse_plain(b"a\0b\0c\0d").is_err());
        assert_eq!(decode_sasl(b"=").unwrap(), b"");
        assert!(decode_sasl(b"!!").is_err());
    }
}
