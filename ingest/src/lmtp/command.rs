//! LMTP command lines (RFC 2033 §4, RFC 5321 §4.1) parsed into values.
//!
//! A line is given without its CRLF. Parsing never fails hard: every problem is a
//! [`CommandError`] the session answers with a 5xx reply, and the connection goes on.

/// The `BODY=` parameter of MAIL FROM (RFC 6152, RFC 3030).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    SevenBit,
    EightBitMime,
    BinaryMime,
}

/// Parameters of MAIL FROM we understand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailParams {
    /// RFC 1870 declared size.
    pub size: Option<u64>,
    pub body: Option<Body>,
    /// RFC 6531: the transaction may carry UTF-8 addresses and headers.
    pub smtputf8: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Lhlo {
        domain: String,
    },
    /// HELO or EHLO: not allowed in LMTP (RFC 2033 §4.1).
    Helo,
    Mail {
        from: String,
        params: MailParams,
    },
    Rcpt {
        to: String,
    },
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Noop,
    Quit,
    Vrfy,
    StartTls,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("command unrecognized")]
    Unrecognized,
    #[error("{0}")]
    Syntax(&'static str),
    #[error("parameter not supported: {0}")]
    Parameter(String),
    #[error("line is not valid UTF-8")]
    Encoding,
}

/// Parses one command line (without CRLF).
pub fn parse(line: &[u8]) -> Result<Command, CommandError> {
    let line = std::str::from_utf8(line).map_err(|_| CommandError::Encoding)?;
    let (verb, rest) = match line.split_once(' ') {
        Some((v, r)) => (v, r),
        None => (line, ""),
    };
    let verb = verb.to_ascii_uppercase();
    match verb.as_str() {
        "LHLO" => {
            let domain = rest.trim();
            if domain.is_empty() {
                return Err(CommandError::Syntax("LHLO needs a host name"));
            }
            Ok(Command::Lhlo {
                domain: domain.to_owned(),
            })
        }
        "HELO" | "EHLO" => Ok(Command::Helo),
        "MAIL" => parse_mail(rest),
        "RCPT" => parse_rcpt(rest),
        "DATA" => no_args(rest, Command::Data),
        "BDAT" => parse_bdat(rest),
        "RSET" => no_args(rest, Command::Rset),
        "NOOP" => Ok(Command::Noop),
        "QUIT" => no_args(rest, Command::Quit),
        "VRFY" => Ok(Command::Vrfy),
        "STARTTLS" => no_args(rest, Command::StartTls),
        _ => Err(CommandError::Unrecognized),
    }
}

fn no_args(rest: &str, cmd: Command) -> Result<Command, CommandError> {
    if rest.trim().is_empty() {
        Ok(cmd)
    } else {
        Err(CommandError::Syntax("no arguments allowed"))
    }
}

/// Strips a case-insensitive keyword such as `FROM:` and optional spaces around the colon.
fn keyword<'a>(rest: &'a str, word: &str) -> Option<&'a str> {
    let rest = rest.trim_start();
    let head = rest.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let after = rest[word.len()..].trim_start();
    Some(after.strip_prefix(':')?.trim_start())
}

/// Splits `<path> params...` into the path (without brackets, source route dropped) and the
/// parameter text.
fn path(s: &str) -> Result<(String, &str), CommandError> {
    let Some(inner) = s.strip_prefix('<') else {
        return Err(CommandError::Syntax("address must be in angle brackets"));
    };
    let end = closing_bracket(inner).ok_or(CommandError::Syntax("missing '>'"))?;
    let mut addr = &inner[..end];
    // RFC 5321 §4.1.2: a source route `@a,@b:` is accepted and ignored.
    if addr.starts_with('@') {
        addr = addr
            .split_once(':')
            .map(|(_, a)| a)
            .ok_or(CommandError::Syntax("bad source route"))?;
    }
    Ok((addr.to_owned(), &inner[end + 1..]))
}

/// Index of the `>` closing a path, skipping quoted local parts.
fn closing_bracket(s: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '>' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_mail(rest: &str) -> Result<Command, CommandError> {
    let s = keyword(rest, "FROM").ok_or(CommandError::Syntax("expected MAIL FROM:<address>"))?;
    let (from, params_text) = path(s)?;
    let mut params = MailParams::default();
    for p in params_text.split_ascii_whitespace() {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        match k.to_ascii_uppercase().as_str() {
            "SIZE" => {
                let n = v
                    .parse()
                    .map_err(|_| CommandError::Syntax("SIZE needs a number"))?;
                params.size = Some(n);
            }
            "BODY" => {
                params.body = Some(match v.to_ascii_uppercase().as_str() {
                    "7BIT" => Body::SevenBit,
                    "8BITMIME" => Body::EightBitMime,
                    "BINARYMIME" => Body::BinaryMime,
                    _ => return Err(CommandError::Parameter(p.to_owned())),
                });
            }
            "SMTPUTF8" if v.is_empty() => params.smtputf8 = true,
            // RFC 3461 DSN parameters are accepted and ignored: LMTP reports per recipient anyway.
            "RET" | "ENVID" | "AUTH" => {}
            _ => return Err(CommandError::Parameter(p.to_owned())),
        }
    }
    Ok(Command::Mail { from, params })
}

fn parse_rcpt(rest: &str) -> Result<Command, CommandError> {
    let s = keyword(rest, "TO").ok_or(CommandError::Syntax("expected RCPT TO:<address>"))?;
    let (to, params_text) = path(s)?;
    for p in params_text.split_ascii_whitespace() {
        let k = p.split_once('=').map_or(p, |(k, _)| k);
        if !matches!(k.to_ascii_uppercase().as_str(), "NOTIFY" | "ORCPT") {
            return Err(CommandError::Parameter(p.to_owned()));
        }
    }
    if to.is_empty() {
        return Err(CommandError::Syntax("empty recipient"));
    }
    Ok(Command::Rcpt { to })
}

fn parse_bdat(rest: &str) -> Result<Command, CommandError> {
    let mut words = rest.split_ascii_whitespace();
    let size = words
        .next()
        .and_then(|w| w.parse().ok())
        .ok_or(CommandError::Syntax("BDAT needs a chunk size"))?;
    let last = match words.next() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("LAST") => true,
        Some(_) => return Err(CommandError::Syntax("expected LAST")),
    };
    if words.next().is_some() {
        return Err(CommandError::Syntax("too many arguments"));
    }
    Ok(Command::Bdat { size, last })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(from: &str, params: MailParams) -> Command {
        Command::Mail {
            from: from.into(),
            params,
        }
    }

    #[test]
    fn table() {
        let cases: Vec<(&[u8], Result<Command, CommandError>)> = vec![
            (
                b"LHLO mx.example",
                Ok(Command::Lhlo {
                    domain: "mx.example".into(),
                }),
            ),
            (
                b"lhlo  mx ",
                Ok(Command::Lhlo {
                    domain: "mx".into(),
                }),
            ),
            (b"LHLO", Err(CommandError::Syntax("LHLO needs a host name"))),
            (b"EHLO x", Ok(Command::Helo)),
            (b"MAIL FROM:<a@b>", Ok(mail("a@b", MailParams::default()))),
            (b"mail from: <>", Ok(mail("", MailParams::default()))),
            (
                b"MAIL FROM:<a@b> SIZE=123 BODY=8BITMIME SMTPUTF8",
                Ok(mail(
                    "a@b",
                    MailParams {
                        size: Some(123),
                        body: Some(Body::EightBitMime),
                        smtputf8: true,
                    },
                )),
            ),
            (
                b"MAIL FROM:<@r1,@r2:a@b>",
                Ok(mail("a@b", MailParams::default())),
            ),
            (
                b"MAIL FROM:a@b",
                Err(CommandError::Syntax("address must be in angle brackets")),
            ),
            (
                b"MAIL FROM:<a@b> FOO=1",
                Err(CommandError::Parameter("FOO=1".into())),
            ),
            (
                b"MAIL FROM:<a@b> SIZE=x",
                Err(CommandError::Syntax("SIZE needs a number")),
            ),
            (
                b"RCPT TO:<\"a>b\"@c>",
                Ok(Command::Rcpt {
                    to: "\"a>b\"@c".into(),
                }),
            ),
            (
                "RCPT TO:<jos\u{e9}@exampl\u{e9}.org>".as_bytes(),
                Ok(Command::Rcpt {
                    to: "jos\u{e9}@exampl\u{e9}.org".into(),
                }),
            ),
            (
                b"RCPT TO:<a@b> NOTIFY=NEVER",
                Ok(Command::Rcpt { to: "a@b".into() }),
            ),
            (b"RCPT TO:<>", Err(CommandError::Syntax("empty recipient"))),
            (
                b"RCPT FROM:<a@b>",
                Err(CommandError::Syntax("expected RCPT TO:<address>")),
            ),
            (b"DATA", Ok(Command::Data)),
            (b"DATA x", Err(CommandError::Syntax("no arguments allowed"))),
            (
                b"BDAT 10 LAST",
                Ok(Command::Bdat {
                    size: 10,
                    last: true,
                }),
            ),
            (
                b"BDAT 0",
                Ok(Command::Bdat {
                    size: 0,
                    last: false,
                }),
            ),
            (
                b"BDAT x",
                Err(CommandError::Syntax("BDAT needs a chunk size")),
            ),
            (b"RSET", Ok(Command::Rset)),
            (b"NOOP hello", Ok(Command::Noop)),
            (b"QUIT", Ok(Command::Quit)),
            (b"STARTTLS", Ok(Command::StartTls)),
            (b"XYZZY", Err(CommandError::Unrecognized)),
            (b"", Err(CommandError::Unrecognized)),
            (b"MAIL FROM:<\xff>", Err(CommandError::Encoding)),
        ];
        for (line, want) in cases {
            assert_eq!(parse(line), want, "{}", String::from_utf8_lossy(line));
        }
    }
}
