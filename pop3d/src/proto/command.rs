//! POP3 command parsing (RFC 1939 §3, RFC 2449, RFC 2595, RFC 5034, RFC 6856).
//!
//! Input is one line without its CRLF. Keywords are case-insensitive; arguments are separated by
//! single spaces (runs of spaces are tolerated). `PASS` takes the rest of the line verbatim,
//! because passwords may contain spaces (RFC 1939 §7). Message numbers are 1-based decimal
//! numbers that fit in a `u32`; anything else is a syntax error, never a panic.

/// A parsed command.
#[derive(Clone, PartialEq, Eq)]
pub enum Command {
    User(String),
    Pass(String),
    Stat,
    List(Option<u32>),
    Uidl(Option<u32>),
    Retr(u32),
    Top(u32, u32),
    Dele(u32),
    Noop,
    Rset,
    Quit,
    Capa,
    Stls,
    /// `AUTH` (list mechanisms), `AUTH mech`, or `AUTH mech initial-response` (RFC 5034 §4).
    Auth {
        mechanism: Option<String>,
        initial: Option<String>,
    },
    Utf8,
}

// Passwords and SASL responses must never reach a log line.
impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Command::Pass(_) => f.write_str("Pass(<redacted>)"),
            Command::Auth { mechanism, initial } => f
                .debug_struct("Auth")
                .field("mechanism", mechanism)
                .field("initial", &initial.as_ref().map(|_| "<redacted>"))
                .finish(),
            Command::User(u) => f.debug_tuple("User").field(u).finish(),
            Command::List(n) => f.debug_tuple("List").field(n).finish(),
            Command::Uidl(n) => f.debug_tuple("Uidl").field(n).finish(),
            Command::Retr(n) => f.debug_tuple("Retr").field(n).finish(),
            Command::Top(n, l) => f.debug_tuple("Top").field(n).field(l).finish(),
            Command::Dele(n) => f.debug_tuple("Dele").field(n).finish(),
            other => f.write_str(other.name()),
        }
    }
}

impl Command {
    /// The keyword, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Command::User(_) => "USER",
            Command::Pass(_) => "PASS",
            Command::Stat => "STAT",
            Command::List(_) => "LIST",
            Command::Uidl(_) => "UIDL",
            Command::Retr(_) => "RETR",
            Command::Top(..) => "TOP",
            Command::Dele(_) => "DELE",
            Command::Noop => "NOOP",
            Command::Rset => "RSET",
            Command::Quit => "QUIT",
            Command::Capa => "CAPA",
            Command::Stls => "STLS",
            Command::Auth { .. } => "AUTH",
            Command::Utf8 => "UTF8",
        }
    }
}

/// Why a line is not a command.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("unknown command")]
    Unknown,
    #[error("{0}")]
    Syntax(&'static str),
}

/// Parses one command line.
pub fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let line = std::str::from_utf8(line).map_err(|_| ParseError::Syntax("command is not UTF-8"))?;
    let (keyword, rest) = match line.split_once(' ') {
        Some((k, r)) => (k, r),
        None => (line, ""),
    };
    if keyword.len() > 4 || keyword.is_empty() {
        return Err(ParseError::Unknown);
    }
    let keyword = keyword.to_ascii_uppercase();
    if keyword == "PASS" {
        // RFC 1939 §7: the password is everything after the single space.
        return non_empty(rest, "PASS needs a password").map(|p| Command::Pass(p.to_owned()));
    }
    let args: Vec<&str> = rest.split(' ').filter(|a| !a.is_empty()).collect();
    let cmd = match (keyword.as_str(), args.as_slice()) {
        ("USER", [name]) => Command::User((*name).to_owned()),
        ("USER", _) => return Err(ParseError::Syntax("USER takes one name")),
        ("STAT", []) => Command::Stat,
        ("LIST", []) => Command::List(None),
        ("LIST", [n]) => Command::List(Some(number(n)?)),
        ("UIDL", []) => Command::Uidl(None),
        ("UIDL", [n]) => Command::Uidl(Some(number(n)?)),
        ("RETR", [n]) => Command::Retr(number(n)?),
        ("TOP", [n, lines]) => Command::Top(number(n)?, count(lines)?),
        ("DELE", [n]) => Command::Dele(number(n)?),
        ("NOOP", []) => Command::Noop,
        ("RSET", []) => Command::Rset,
        ("QUIT", []) => Command::Quit,
        ("CAPA", []) => Command::Capa,
        ("STLS", []) => Command::Stls,
        ("UTF8", []) => Command::Utf8,
        ("AUTH", []) => Command::Auth {
            mechanism: None,
            initial: None,
        },
        ("AUTH", [mech]) => Command::Auth {
            mechanism: Some(mech.to_ascii_uppercase()),
            initial: None,
        },
        ("AUTH", [mech, initial]) => Command::Auth {
            mechanism: Some(mech.to_ascii_uppercase()),
            initial: Some((*initial).to_owned()),
        },
        (
            "STAT" | "LIST" | "UIDL" | "RETR" | "TOP" | "DELE" | "NOOP" | "RSET" | "QUIT" | "CAPA"
            | "STLS" | "UTF8" | "AUTH",
            _,
        ) => return Err(ParseError::Syntax("wrong number of arguments")),
        _ => return Err(ParseError::Unknown),
    };
    Ok(cmd)
}

fn non_empty<'a>(s: &'a str, why: &'static str) -> Result<&'a str, ParseError> {
    if s.is_empty() {
        Err(ParseError::Syntax(why))
    } else {
        Ok(s)
    }
}

/// A message number: 1-based (RFC 1939 §3).
fn number(s: &str) -> Result<u32, ParseError> {
    match count(s)? {
        0 => Err(ParseError::Syntax("message numbers start at 1")),
        n => Ok(n),
    }
}

/// A non-negative decimal number without sign (TOP's line count may be 0).
fn count(s: &str) -> Result<u32, ParseError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Syntax("invalid number"));
    }
    s.parse()
        .map_err(|_| ParseError::Syntax("number too large"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        use Command::*;
        let auth = |m: Option<&str>, i: Option<&str>| Auth {
            mechanism: m.map(str::to_owned),
            initial: i.map(str::to_owned),
        };
        let table: Vec<(&str, Result<Command, ParseError>)> = vec![
            ("USER alice", Ok(User("alice".into()))),
            (
                "user Ünïcode@example.org",
                Ok(User("Ünïcode@example.org".into())),
            ),
            (
                "PASS secret with spaces ",
                Ok(Pass("secret with spaces ".into())),
            ),
            ("pass  x", Ok(Pass(" x".into()))),
            ("STAT", Ok(Stat)),
            ("list", Ok(List(None))),
            ("LIST 3", Ok(List(Some(3)))),
            ("UIDL 4294967295", Ok(Uidl(Some(u32::MAX)))),
            ("RETR 1", Ok(Retr(1))),
            ("TOP 2 0", Ok(Top(2, 0))),
            ("TOP  2  10", Ok(Top(2, 10))),
            ("DELE 7", Ok(Dele(7))),
            ("NOOP", Ok(Noop)),
            ("RSET", Ok(Rset)),
            ("QUIT", Ok(Quit)),
            ("CAPA", Ok(Capa)),
            ("STLS", Ok(Stls)),
            ("UTF8", Ok(Utf8)),
            ("AUTH", Ok(auth(None, None))),
            ("AUTH plain", Ok(auth(Some("PLAIN"), None))),
            (
                "AUTH PLAIN AGFsaWNlAHNlY3JldA==",
                Ok(auth(Some("PLAIN"), Some("AGFsaWNlAHNlY3JldA=="))),
            ),
            ("AUTH PLAIN =", Ok(auth(Some("PLAIN"), Some("=")))),
            ("", Err(ParseError::Unknown)),
            ("APOP alice 0123", Err(ParseError::Unknown)),
            ("XYZZY", Err(ParseError::Unknown)),
            ("RETRIEVE 1", Err(ParseError::Unknown)),
            ("PASS", Err(ParseError::Syntax("PASS needs a password"))),
            ("USER", Err(ParseError::Syntax("USER takes one name"))),
            ("USER a b", Err(ParseError::Syntax("USER takes one name"))),
            ("RETR", Err(ParseError::Syntax("wrong number of arguments"))),
            (
                "RETR 0",
                Err(ParseError::Syntax("message numbers start at 1")),
            ),
            ("RETR -1", Err(ParseError::Syntax("invalid number"))),
            ("RETR +1", Err(ParseError::Syntax("invalid number"))),
            ("RETR 1x", Err(ParseError::Syntax("invalid number"))),
            (
                "RETR 4294967296",
                Err(ParseError::Syntax("number too large")),
            ),
            (
                "TOP 1",
                Err(ParseError::Syntax("wrong number of arguments")),
            ),
            (
                "STAT 1",
                Err(ParseError::Syntax("wrong number of arguments")),
            ),
            (
                "AUTH PLAIN a b",
                Err(ParseError::Syntax("wrong number of arguments")),
            ),
        ];
        for (line, want) in table {
            assert_eq!(parse(line.as_bytes()), want, "{line:?}");
        }
        assert_eq!(
            parse(b"USER \xff"),
            Err(ParseError::Syntax("command is not UTF-8"))
        );
    }

    #[test]
    fn debug_redacts_secrets() {
        let shown = format!(
            "{:?} {:?}",
            parse(b"PASS hunter2"),
            parse(b"AUTH PLAIN c2VjcmV0")
        );
        assert!(
            !shown.contains("hunter2") && !shown.contains("c2VjcmV0"),
            "{shown}"
        );
    }
}
