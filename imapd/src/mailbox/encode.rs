//! Writing [`Update`]s with the protocol core's encoder.
//!
//! RFC 7162 §3.2: once CONDSTORE is enabled, unsolicited FETCH responses for flag changes carry
//! MODSEQ; before that they must not. The UID is always included so clients can resynchronise
//! without a sequence-number lookup (RFC 3501 §7.4.2 allows any items in unsolicited FETCH).

use super::Update;
use crate::proto::flag::from_model;
use crate::proto::response::{Data, EncodeOptions, FetchItem, FetchWriter, Response};

impl Update {
    /// Appends this update's untagged response to `out`.
    pub fn encode(&self, out: &mut Vec<u8>, opts: EncodeOptions, condstore: bool) {
        let data = match self {
            Update::Expunge(n) => Data::Expunge(*n),
            Update::Exists(n) => Data::Exists(*n),
            Update::Recent(n) => Data::Recent(*n),
            Update::Fetch {
                seq,
                uid,
                flags,
                recent,
                modseq,
            } => {
                let mut w = FetchWriter::begin(out, *seq, opts);
                w.item(out, &FetchItem::Uid(uid.0));
                w.item(out, &FetchItem::Flags(&from_model(flags, *recent)));
                if condstore {
                    w.item(out, &FetchItem::ModSeq(modseq.0));
                }
                w.end(out);
                return;
            }
        };
        Response::Data(data).encode(out, opts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use eider_model::types::{ModSeq, Uid};
    use eider_model::{Flags, SystemFlags};

    #[test]
    fn wire_forms() {
        let mut flags = Flags {
            system: SystemFlags(SystemFlags::SEEN | SystemFlags::FLAGGED),
            keywords: Default::default(),
        };
        flags.keywords.insert("$Label1".into());
        let fetch = Update::Fetch {
            seq: 3,
            uid: Uid(17),
            flags,
            recent: true,
            modseq: ModSeq(99),
        };
        let table = [
            (Update::Expunge(4), false, "* 4 EXPUNGE\r\n"),
            (Update::Exists(12), false, "* 12 EXISTS\r\n"),
            (Update::Recent(0), false, "* 0 RECENT\r\n"),
            (
                fetch.clone(),
                false,
                "* 3 FETCH (UID 17 FLAGS (\\Seen \\Flagged \\Recent $Label1))\r\n",
            ),
            (
                fetch,
                true,
                "* 3 FETCH (UID 17 FLAGS (\\Seen \\Flagged \\Recent $Label1) MODSEQ (99))\r\n",
            ),
        ];
        for (u, condstore, want) in table {
            let mut out = Vec::new();
            u.encode(&mut out, EncodeOptions::default(), condstore);
            assert_eq!(String::from_utf8_lossy(&out), want, "{u:?}");
        }
    }
}
