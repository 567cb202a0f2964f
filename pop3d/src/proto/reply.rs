//! Server responses and their wire encoding (RFC 1939 §3, RFC 2449 §8 response codes).
//!
//! Invariants: every encoded response ends in CRLF; a multi-line response's lines are
//! dot-stuffed and the block ends with `.` CRLF; response text never contains CR or LF (they are
//! replaced by spaces, so nothing a client sent can forge a response line).

use std::borrow::Cow;

/// RFC 2449 §8 / RFC 3206 extended response codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// RFC 3206 §4: the failure is about the credentials.
    Auth,
    /// RFC 2449 §8.1.2: another session holds the maildrop.
    InUse,
    /// RFC 3206 §5: a temporary server problem; retry later.
    SysTemp,
    /// RFC 3206 §5: a permanent server-side refusal.
    SysPerm,
}

impl Code {
    fn as_str(self) -> &'static str {
        match self {
            Code::Auth => "AUTH",
            Code::InUse => "IN-USE",
            Code::SysTemp => "SYS/TEMP",
            Code::SysPerm => "SYS/PERM",
        }
    }
}

/// What kind of status line a reply starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    Err,
    /// A SASL continuation `+ ` (RFC 5034 §4).
    Continue,
}

/// One response: a status line and, for multi-line responses, the lines that follow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub status: Status,
    pub code: Option<Code>,
    pub text: Cow<'static, str>,
    /// `Some` for a multi-line response.
    pub lines: Option<Vec<String>>,
}

impl Reply {
    pub fn ok(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: Status::Ok,
            code: None,
            text: text.into(),
            lines: None,
        }
    }

    pub fn err(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status: Status::Err,
            code: None,
            text: text.into(),
            lines: None,
        }
    }

    pub fn err_code(code: Code, text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code: Some(code),
            ..Self::err(text)
        }
    }

    /// An empty SASL challenge.
    pub fn cont() -> Self {
        Self {
            status: Status::Continue,
            code: None,
            text: Cow::Borrowed(""),
            lines: None,
        }
    }

    /// A `+OK` followed by `lines`.
    pub fn multi(text: impl Into<Cow<'static, str>>, lines: Vec<String>) -> Self {
        Self {
            lines: Some(lines),
            ..Self::ok(text)
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == Status::Ok
    }

    /// Appends the wire form to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self.status {
            Status::Ok => b"+OK",
            Status::Err => b"-ERR",
            Status::Continue => b"+ ",
        });
        if self.status != Status::Continue {
            if let Some(code) = self.code {
                out.extend_from_slice(b" [");
                out.extend_from_slice(code.as_str().as_bytes());
                out.push(b']');
            }
            if !self.text.is_empty() {
                out.push(b' ');
            }
        }
        push_clean(out, &self.text);
        out.extend_from_slice(b"\r\n");
        if let Some(lines) = &self.lines {
            for line in lines {
                if line.starts_with('.') {
                    out.push(b'.');
                }
                push_clean(out, line);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b".\r\n");
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn push_clean(out: &mut Vec<u8>, text: &str) {
    out.extend(
        text.bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn encodes() {
        let table: Vec<(Reply, &[u8])> = vec![
            (Reply::ok("hi"), b"+OK hi\r\n"),
            (Reply::ok(""), b"+OK\r\n"),
            (Reply::err("no such message"), b"-ERR no such message\r\n"),
            (
                Reply::err_code(Code::InUse, "busy"),
                b"-ERR [IN-USE] busy\r\n",
            ),
            (
                Reply::err_code(Code::SysTemp, "later"),
                b"-ERR [SYS/TEMP] later\r\n",
            ),
            (Reply::cont(), b"+ \r\n"),
            (
                Reply::multi("2 messages", vec!["1 10".into(), ".x".into()]),
                b"+OK 2 messages\r\n1 10\r\n..x\r\n.\r\n",
            ),
            (Reply::multi("", vec![]), b"+OK\r\n.\r\n"),
            (Reply::err("a\r\n+OK b"), b"-ERR a  +OK b\r\n"),
        ];
        for (reply, want) in table {
            assert_eq!(reply.to_bytes(), want, "{reply:?}");
        }
    }
}
