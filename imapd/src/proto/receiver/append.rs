//! The receiver's APPEND handling: starting the streamed message literal and checking what
//! follows it (RFC 3501 §6.3.11, RFC 6855 §4 `UTF8 (~{n})`, RFC 7888 §4 for LITERAL-).

use super::literal::{LiteralSuffix, literal_suffix};
use super::{AppendHeader, LITERAL_MINUS_MAX, Progress, Receiver, State};
use crate::proto::error::ErrorKind;

impl Receiver {
    pub(super) fn start_append(
        &mut self,
        header: AppendHeader,
        lit: LiteralSuffix,
    ) -> Progress<'static> {
        let tag = Some(header.tag.clone());
        if lit.nonsync && !self.limits.literal_plus && lit.size > LITERAL_MINUS_MAX {
            let kind = ErrorKind::NonSyncLiteralTooLarge {
                size: lit.size,
                in_append: true,
            };
            return self.refuse(tag, lit, kind);
        }
        if lit.size > self.limits.max_append {
            let kind = ErrorKind::AppendTooLarge {
                size: lit.size,
                max: self.limits.max_append,
            };
            return self.refuse(tag, lit, kind);
        }
        self.cmd.clear();
        self.append = Some((header.tag.clone(), header.utf8));
        self.state = if lit.nonsync {
            State::AppendData {
                remaining: lit.size,
            }
        } else {
            State::WaitAccept {
                size: lit.size,
                append: true,
            }
        };
        Progress::Append(header)
    }

    pub(super) fn append_tail(&mut self, line: &[u8]) -> Progress<'static> {
        let (tag, utf8) = self.append.take().unwrap_or_default();
        let mut rest = line;
        if utf8 {
            // RFC 6855 §4: `UTF8 (` literal8 `)`.
            let Some(r) = rest.strip_prefix(b")") else {
                self.state = State::Line;
                return self.error(
                    Some(tag),
                    ErrorKind::Syntax("expected ) after UTF8 literal"),
                );
            };
            rest = r;
        }
        if rest.iter().all(|&b| b == b' ') {
            self.state = State::Line;
            return Progress::AppendEnd;
        }
        // MULTIAPPEND (RFC 3502) is not offered; skip a further non-synchronising literal.
        self.state = match literal_suffix(rest) {
            Some(lit) if lit.nonsync => State::Discard {
                remaining: lit.size,
            },
            _ => State::Line,
        };
        self.error(
            Some(tag),
            ErrorKind::Syntax("unexpected data after APPEND message"),
        )
    }
}
