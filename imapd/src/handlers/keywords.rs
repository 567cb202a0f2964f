//! The keywords a session announced in `* FLAGS` for its selected mailbox (RFC 3501 §7.2.6).
//!
//! Invariant: keywords compare case-insensitively (RFC 3501 §2.3.2) and keep the first
//! spelling seen; every keyword a response uses was announced before it.

use super::Output;
use crate::proto::response::Code;

/// The keywords a client was told about with `* FLAGS` (RFC 3501 §7.2.6): when a message gets
/// one it has not seen, FLAGS and PERMANENTFLAGS are sent again before it is used.
#[derive(Clone, Debug, Default)]
pub struct Keywords(std::collections::BTreeMap<String, String>);

impl Keywords {
    /// Starts over with the keywords in use in a newly selected mailbox.
    pub fn reset<'k>(&mut self, keywords: impl IntoIterator<Item = &'k String>) {
        self.0 = keywords
            .into_iter()
            .map(|k| (k.to_ascii_lowercase(), k.clone()))
            .collect();
    }

    /// The FLAGS list: system flags, then keywords.
    pub fn flags(&self) -> Vec<crate::proto::flag::Flag> {
        let mut out = super::select::system_flags();
        out.extend(
            self.0
                .values()
                .map(|k| crate::proto::flag::Flag::Keyword(k.clone())),
        );
        out
    }

    /// Queues FLAGS (and PERMANENTFLAGS) if any of `used` is new.
    pub fn announce<'k>(
        &mut self,
        wire: &mut dyn Output,
        used: impl IntoIterator<Item = &'k String>,
        read_only: bool,
    ) {
        let mut new = false;
        for k in used {
            if let std::collections::btree_map::Entry::Vacant(e) =
                self.0.entry(k.to_ascii_lowercase())
            {
                e.insert(k.clone());
                new = true;
            }
        }
        if !new {
            return;
        }
        use crate::proto::response::{Data, Response, Status};
        let flags = self.flags();
        wire.push(&Response::Data(Data::Flags(flags.clone())));
        let mut permanent = if read_only { Vec::new() } else { flags };
        if !read_only {
            permanent.push(crate::proto::flag::Flag::MayCreate);
        }
        wire.push(&Response::Condition {
            status: Status::Ok,
            code: Some(Code::PermanentFlags(permanent)),
            text: "Flags permitted".into(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handlers::output::Buffer;

    #[test]
    fn a_new_keyword_is_announced_once() {
        let mut kw = Keywords::default();
        let mut out = Buffer::default();
        kw.announce(&mut out, &["$Work".to_owned()], false);
        let text = String::from_utf8(std::mem::take(&mut out.bytes)).unwrap();
        assert!(text.starts_with("* FLAGS ("), "{text}");
        assert!(
            text.contains("$Work") && text.contains("PERMANENTFLAGS"),
            "{text}"
        );
        // Keywords compare case-insensitively (RFC 3501 §2.3.2).
        kw.announce(&mut out, &["$work".to_owned()], false);
        assert!(out.bytes.is_empty());
    }
}
