//! LMTP/SMTP replies (RFC 5321 §4.2) with enhanced status codes (RFC 3463).

use std::fmt;

/// An enhanced status code `class.subject.detail` (RFC 3463 §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enhanced(pub u8, pub u16, pub u16);

impl fmt::Display for Enhanced {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.0, self.1, self.2)
    }
}

/// One reply: a code, an optional enhanced code and one or more text lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub enhanced: Option<Enhanced>,
    pub lines: Vec<String>,
}

impl Reply {
    pub fn new(code: u16, enhanced: Option<Enhanced>, text: impl Into<String>) -> Self {
        Self {
            code,
            enhanced,
            lines: vec![text.into()],
        }
    }

    /// A reply with an enhanced code derived from `(class, subject, detail)`.
    pub fn with(code: u16, e: (u8, u16, u16), text: impl Into<String>) -> Self {
        Self::new(code, Some(Enhanced(e.0, e.1, e.2)), text)
    }

    pub fn is_positive(&self) -> bool {
        self.code < 400
    }

    /// Appends the wire form (`250-a\r\n250 b\r\n`) to `out`. Enhanced codes go on every line
    /// (RFC 2034 §3).
    pub fn encode(&self, out: &mut Vec<u8>) {
        let last = self.lines.len().saturating_sub(1);
        if self.lines.is_empty() {
            out.extend_from_slice(format!("{}\r\n", self.code).as_bytes());
            return;
        }
        for (i, line) in self.lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            let text = match self.enhanced {
                Some(e) => format!("{}{}{} {}\r\n", self.code, sep, e, line),
                None => format!("{}{}{}\r\n", self.code, sep, line),
            };
            out.extend_from_slice(text.as_bytes());
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::new();
        self.encode(&mut v);
        v
    }
}

/// Replies used in several places, so their wording stays the same everywhere.
pub mod canned {
    use super::Reply;

    pub fn ok() -> Reply {
        Reply::with(250, (2, 0, 0), "OK")
    }
    pub fn bad_sequence(what: &str) -> Reply {
        Reply::with(503, (5, 5, 1), format!("Bad sequence of commands: {what}"))
    }
    pub fn syntax(what: &str) -> Reply {
        Reply::with(501, (5, 5, 4), format!("Syntax error: {what}"))
    }
    pub fn unrecognized() -> Reply {
        Reply::with(500, (5, 5, 1), "Command unrecognized")
    }
    pub fn too_large() -> Reply {
        Reply::with(552, (5, 3, 4), "Message too large")
    }
    pub fn over_quota() -> Reply {
        Reply::with(552, (5, 2, 2), "Mailbox full: over quota")
    }
    pub fn unknown_user() -> Reply {
        Reply::with(550, (5, 1, 1), "No such user here")
    }
    pub fn temp_failure() -> Reply {
        Reply::with(451, (4, 3, 0), "Temporary failure, please try again later")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_and_multi_line() {
        assert_eq!(canned::ok().to_bytes(), b"250 2.0.0 OK\r\n");
        let r = Reply {
            code: 250,
            enhanced: None,
            lines: vec!["host".into(), "PIPELINING".into(), "SIZE 10".into()],
        };
        assert_eq!(
            r.to_bytes(),
            b"250-host\r\n250-PIPELINING\r\n250 SIZE 10\r\n".to_vec()
        );
    }
}
