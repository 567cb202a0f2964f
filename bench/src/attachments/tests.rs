use super::*;
use mail_parser::{MessageParser, MimeHeaders};

fn small(seed: u64) -> Generator {
    Generator::new(Spec {
        seed,
        pool: 6,
        min_attachment: 2_000,
        max_attachment: 60_000,
    })
}

#[test]
fn same_seed_same_bytes() {
    let (a, b) = (small(7), small(7));
    for i in [0, 1, 5, 17] {
        assert_eq!(a.message(i), b.message(i), "message {i}");
    }
    // Order does not matter: message 5 made first is the same message.
    assert_eq!(small(7).message(5), a.message(5));
    assert_ne!(small(8).message(0), a.message(0));
    // The default sizes stay in range.
    let big = Generator::new(Spec::new(1));
    assert!(
        big.pool()
            .iter()
            .all(|b| (50_000..=2_000_100).contains(&b.data.len()))
    );
}

#[test]
fn messages_parse_and_carry_their_attachments() {
    let g = small(42);
    let mut uses = vec![0; g.pool().len()];
    for i in 0..40 {
        let raw = g.message(i);
        for line in raw.split(|&c| c == b'\n') {
            assert!(line.len() <= 100, "message {i}: a line of {}", line.len());
            assert_eq!(
                line.last().copied().unwrap_or(b'\r'),
                b'\r',
                "message {i}: CRLF"
            );
        }
        let msg = MessageParser::default().parse(&raw).unwrap();
        assert!(msg.subject().is_some_and(|s| !s.is_empty()), "message {i}");
        let want = g.attachments(i);
        assert!((1..=3).contains(&want.len()));
        let got: Vec<_> = msg.attachments().collect();
        assert_eq!(got.len(), want.len(), "message {i}");
        for (part, k) in got.iter().zip(&want) {
            assert_eq!(part.contents(), g.pool()[*k].data.as_slice(), "message {i}");
            assert!(part.attachment_name().is_some(), "message {i}");
            uses[*k] += 1;
        }
        assert!(msg.body_text(0).is_some_and(|t| t.contains("Hello")));
    }
    // The same attachments recur across messages.
    assert!(uses.iter().any(|&n| n >= 5), "{uses:?}");
}
