//! A deterministic corpus of large messages whose attachments recur (issue #13's storage
//! measurements): each message has a text part (sometimes with an HTML alternative) and one to
//! three attachments drawn, with a skew towards the first ones, from a small pool of binary,
//! PDF-like and text blobs, base64-encoded at 76 columns; headers vary as real mail's do.
//!
//! Invariant: message `i` is a pure function of `(seed, i, Spec)`: the same seed gives the same
//! bytes on every machine and run, and messages can be made in any order.

pub mod blobs;

use base64::Engine as _;
use blobs::{Blob, Kind, Rng, WORDS};
use std::fmt::Write as _;

/// What to generate.
#[derive(Clone, Debug)]
pub struct Spec {
    pub seed: u64,
    /// Attachments in the pool.
    pub pool: usize,
    /// Smallest and largest attachment, decoded bytes.
    pub min_attachment: usize,
    pub max_attachment: usize,
}

impl Spec {
    pub fn new(seed: u64) -> Spec {
        Spec {
            seed,
            pool: 12,
            min_attachment: 50_000,
            max_attachment: 2_000_000,
        }
    }
}

/// The generator: the pool, made once, and message `i` on demand.
pub struct Generator {
    spec: Spec,
    pool: Vec<Blob>,
}

const NAMES: &[(&str, &str)] = &[
    ("Anna Berg", "anna.berg@example.org"),
    ("Jonas Weber", "jweber@mail.example.com"),
    ("Marie Dubois", "marie.dubois@example.fr"),
    ("Kenji Sato", "k.sato@example.jp"),
    ("Laura Rossi", "laura@rossi.example.it"),
    ("Peter Novak", "pnovak@example.cz"),
    ("Søren Madsen", "soren@example.dk"),
    ("Accounts", "accounts@billing.example.net"),
];
const MAILERS: &[&str] = &[
    "Mozilla Thunderbird 115.3",
    "Microsoft Outlook 16.0",
    "Apple Mail (2.3731)",
    "Roundcube Webmail/1.6.5",
];
const HOSTS: &[&str] = &[
    "mx1.example.net",
    "smtp.example.org",
    "mail-out.example.com",
];

impl Generator {
    pub fn new(spec: Spec) -> Generator {
        let pool = blobs::pool(
            spec.seed,
            spec.pool,
            spec.min_attachment,
            spec.max_attachment,
        );
        Generator { spec, pool }
    }

    pub fn pool(&self) -> &[Blob] {
        &self.pool
    }

    /// The pool indexes message `i` attaches, in order (distinct, one to three).
    pub fn attachments(&self, i: usize) -> Vec<usize> {
        let mut rng = Rng::derive(self.spec.seed, 2, i as u64);
        let want = match rng.below(100) {
            0..50 => 1,
            50..85 => 2,
            _ => 3,
        };
        let mut out: Vec<usize> = Vec::new();
        while out.len() < want.min(self.pool.len()) {
            // u² skews towards the front: a few attachments recur often, the rest now and then.
            let u = rng.unit();
            let k = ((u * u) * self.pool.len() as f64) as usize;
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    /// Message `i` with CRLF line endings.
    pub fn message(&self, i: usize) -> Vec<u8> {
        let mut rng = Rng::derive(self.spec.seed, 3, i as u64);
        let mut m = String::new();
        let (from_name, from) = *rng.pick(NAMES);
        let (to_name, to) = *rng.pick(NAMES);
        let date = 1_767_225_600 + i as i64 * 2_237 + rng.below(600) as i64;
        for hop in 0..1 + rng.below(3) {
            let _ = write!(
                m,
                "Received: from {} ([192.0.2.{}])\r\n\tby {} with ESMTPS id {:016x};\r\n\t{}\r\n",
                rng.pick(HOSTS),
                1 + rng.below(250),
                rng.pick(HOSTS),
                rng.next_u64(),
                rfc5322_date(date - hop as i64 * 3)
            );
        }
        let topic = format!("{} {}", rng.pick(WORDS), rng.pick(WORDS));
        let subject = match rng.below(10) {
            0..3 => format!("Re: {topic}"),
            3 => format!("Fwd: {topic}"),
            4 => format!(
                "=?UTF-8?Q?{}_=C3=BCber_{}?=",
                rng.pick(WORDS),
                rng.pick(WORDS)
            ),
            _ => topic.clone(),
        };
        let _ = write!(
            m,
            "From: \"{from_name}\" <{from}>\r\nTo: {to_name} <{to}>\r\n"
        );
        if rng.below(3) == 0 {
            let (cc_name, cc) = *rng.pick(NAMES);
            let _ = write!(m, "Cc: {cc_name} <{cc}>\r\n");
        }
        let _ = write!(
            m,
            "Subject: {subject}\r\nDate: {}\r\nMessage-ID: <gen.{}.{i}@{}>\r\n",
            rfc5322_date(date),
            self.spec.seed,
            from.split('@').nth(1).unwrap_or("example.org")
        );
        if subject.starts_with("Re:") && i > 0 {
            let parent = rng.below(i);
            let _ = write!(
                m,
                "In-Reply-To: <gen.{}.{parent}@example.org>\r\nReferences: <gen.{}.{parent}@example.org>\r\n",
                self.spec.seed, self.spec.seed
            );
        }
        let boundary = format!("----=_Part_{}_{:x}", i, rng.next_u64());
        let _ = write!(
            m,
            "X-Mailer: {}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n",
            rng.pick(MAILERS)
        );
        text_part(&mut m, &mut rng, &boundary, &topic);
        for k in self.attachments(i) {
            let blob = &self.pool[k];
            let name = if rng.below(5) == 0 {
                format!("Copy of {}", blob.name)
            } else {
                blob.name.clone()
            };
            attachment(&mut m, blob, &name, &boundary);
        }
        let _ = write!(m, "--{boundary}--\r\n");
        m.into_bytes()
    }
}

fn text_part(m: &mut String, rng: &mut Rng, boundary: &str, topic: &str) {
    let mut text = format!("Hello,\r\n\r\nplease find the {topic} attached.\r\n");
    for _ in 0..1 + rng.below(4) {
        // A paragraph, wrapped at 72 columns as mail clients do.
        text.push_str("\r\n");
        let mut column = 0;
        for _ in 0..8 + rng.below(40) {
            let word = rng.pick(WORDS);
            if column + word.len() >= 72 {
                text.push_str("\r\n");
                column = 0;
            } else if column > 0 {
                text.push(' ');
                column += 1;
            }
            text.push_str(word);
            column += word.len();
        }
        text.push_str(".\r\n");
    }
    text.push_str("\r\nBest regards\r\n");
    if rng.below(10) < 3 {
        let inner = format!("----=_Alt_{:x}", rng.next_u64());
        let html = text.replace("\r\n", "<br>\r\n");
        let _ = write!(
            m,
            "--{boundary}\r\nContent-Type: multipart/alternative; boundary=\"{inner}\"\r\n\r\n\
             --{inner}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}\
             --{inner}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<html><body>{html}</body></html>\r\n\
             --{inner}--\r\n"
        );
    } else {
        let _ = write!(
            m,
            "--{boundary}\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: 7bit\r\n\r\n{text}"
        );
    }
}

fn attachment(m: &mut String, blob: &Blob, name: &str, boundary: &str) {
    let charset = if blob.kind == Kind::Csv {
        "; charset=utf-8"
    } else {
        ""
    };
    let _ = write!(
        m,
        "--{boundary}\r\nContent-Type: {}{charset}; name=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\r\n",
        blob.kind.media_type()
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(&blob.data);
    for line in encoded.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(line).unwrap_or_default());
        m.push_str("\r\n");
    }
}

/// `Thu, 01 Jan 2026 00:00:00 +0000` (RFC 5322 §3.3).
fn rfc5322_date(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
