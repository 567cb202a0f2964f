//! The CAPABILITY list per state and configuration (RFC 3501 §6.1.1 and each extension's RFC).
//!
//! Invariant: we only announce what the protocol core implements; before login the list is short
//! (clients re-read it after authenticating, RFC 3501 §7.2.1), and `LOGINDISABLED` is announced
//! whenever plaintext authentication would be refused (RFC 3501 §6.2.3).

use super::SessionConfig;

/// Capabilities for the given state.
pub fn capabilities(
    config: &SessionConfig,
    authenticated: bool,
    compress_active: bool,
) -> Vec<String> {
    let mut caps: Vec<String> = vec![
        "IMAP4rev1".into(),
        literal(config).into(),
        "SASL-IR".into(),
        "ID".into(),
        "ENABLE".into(),
        "IDLE".into(),
    ];
    if !authenticated {
        if config.starttls && !config.tls_active {
            caps.push("STARTTLS".into());
        }
        if plaintext_ok(config) {
            caps.push("AUTH=PLAIN".into());
        } else {
            caps.push("LOGINDISABLED".into());
        }
        return caps;
    }
    caps.extend(
        [
            "NAMESPACE",
            "UNSELECT",
            "UIDPLUS",
            "MOVE",
            "CHILDREN",
            "LIST-EXTENDED",
            "LIST-STATUS",
            "SPECIAL-USE",
            "CREATE-SPECIAL-USE",
            "XLIST",
            "ESEARCH",
            "SEARCHRES",
            "WITHIN",
            "CONDSTORE",
            "UTF8=ACCEPT",
            "QUOTA",
            "QUOTA=RES-STORAGE",
            "STATUS=SIZE",
        ]
        .map(String::from),
    );
    caps.push(format!("APPENDLIMIT={}", config.max_append));
    if config.compress && !compress_active {
        caps.push("COMPRESS=DEFLATE".into());
    }
    caps
}

fn literal(config: &SessionConfig) -> &'static str {
    if config.literal_plus {
        "LITERAL+"
    } else {
        "LITERAL-"
    }
}

/// Whether LOGIN / AUTHENTICATE PLAIN may be used now.
pub fn plaintext_ok(config: &SessionConfig) -> bool {
    config.tls_active || config.plaintext_auth
}
