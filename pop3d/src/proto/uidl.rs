//! The UIDL rule: which unique-id each message of a maildrop gets (RFC 1939 §7 UIDL).
//!
//! Rule: a message's unique-id is the first 128 bits of the SHA-256 of its bytes as served (the
//! `sha256` kept in every message record), in lower-case hex. Among messages of one maildrop
//! with identical bytes, the oldest (lowest UID) gets the bare id and the k-th oldest gets
//! `<id>-<k>`.
//!
//! Why content and not `<uidvalidity>-<uid>`: a UID changes whenever a message is copied or moved
//! back into INBOX, and with it a UID-based id, so a POP3 client would download the same mail a
//! second time. The content hash is stored with the message, so the id is the same in every
//! session and after restarts, and survives a move out of INBOX and back. RFC 1939 asks that an
//! id identify one message within the maildrop and is never reused for a different one: two
//! different messages never share an id (up to a 128-bit hash collision), and the suffix keeps
//! identical copies apart. When an older identical copy goes away, a younger copy inherits the
//! shorter id: the client already holds exactly those bytes, so that is the outcome it wants.
//!
//! Invariants: ids are 1..=70 printable ASCII characters (RFC 1939 §7: 0x21..=0x7E), and unique
//! within one maildrop.

use std::collections::HashMap;

/// Unique-ids for messages with these content hashes, in maildrop (ascending UID) order.
pub fn assign(hashes: &[[u8; 32]]) -> Vec<String> {
    let mut seen: HashMap<&[u8], u32> = HashMap::with_capacity(hashes.len());
    hashes
        .iter()
        .map(|h| {
            let id = hex::encode(&h[..16]);
            let k = seen.entry(&h[..16]).or_insert(0);
            *k += 1;
            if *k == 1 { id } else { format!("{id}-{k}") }
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h(b: u8) -> [u8; 32] {
        let mut x = [0u8; 32];
        x[0] = b;
        x[31] = 0xee; // beyond the 128 bits used
        x
    }

    #[test]
    fn ids_are_content_based_and_unique() {
        let ids = assign(&[h(1), h(2), h(1), h(1)]);
        let a = "01000000000000000000000000000000";
        let b = "02000000000000000000000000000000";
        assert_eq!(
            ids,
            vec![
                a.to_owned(),
                b.to_owned(),
                format!("{a}-2"),
                format!("{a}-3")
            ]
        );
        // Same content, same id, whatever its UID or position.
        assert_eq!(assign(&[h(2)]), vec![b.to_owned()]);
        for id in &ids {
            assert!((1..=70).contains(&id.len()));
            assert!(id.bytes().all(|c| (0x21..=0x7e).contains(&c)));
        }
    }
}
