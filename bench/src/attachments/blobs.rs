//! The attachment pool of the generated corpus and the pseudo-random source behind it.
//!
//! Invariant: everything here is a pure function of the seed ([`Rng`] is SplitMix64, written
//! out so that the corpus stays the same across dependency upgrades).

/// SplitMix64: small, fast, and stable forever (unlike `rand`'s `StdRng`).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for item `i` of stream `stream`, independent of the order items are made in.
    pub fn derive(seed: u64, stream: u64, i: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.0 ^= r.next_u64() ^ i.wrapping_mul(0xE703_7ED1_A0B4_28DB);
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0; the modulo bias is irrelevant here).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Log-uniform in `lo..hi`: as many small attachments as large ones per size decade.
    pub fn log_uniform(&mut self, lo: usize, hi: usize) -> usize {
        let (l, h) = ((lo.max(1) as f64).ln(), (hi.max(lo + 1) as f64).ln());
        (l + (h - l) * self.unit()).exp() as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn fill(&mut self, out: &mut Vec<u8>, n: usize) {
        let end = out.len() + n;
        while out.len() < end {
            let word = self.next_u64().to_le_bytes();
            let take = (end - out.len()).min(8);
            out.extend_from_slice(&word[..take]);
        }
    }
}

/// What an attachment looks like to a mail client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Incompressible bytes behind a JPEG header (a photo).
    Photo,
    /// PDF structure: text objects between binary (already compressed) streams.
    Pdf,
    /// A CSV export: compressible text.
    Csv,
}

impl Kind {
    pub fn media_type(self) -> &'static str {
        match self {
            Kind::Photo => "image/jpeg",
            Kind::Pdf => "application/pdf",
            Kind::Csv => "text/csv",
        }
    }
}

/// One attachment of the pool.
#[derive(Clone, Debug)]
pub struct Blob {
    pub kind: Kind,
    pub name: String,
    pub data: Vec<u8>,
}

pub const WORDS: &[&str] = &[
    "budget", "review", "meeting", "draft", "quarter", "invoice", "schedule", "release", "design",
    "contract", "summary", "travel", "update", "project", "notes", "proposal", "agenda", "report",
    "figures", "minutes", "plan", "offer", "photos", "slides", "results", "feedback", "order",
];

/// `count` attachments of `min..max` bytes (log-uniform), kinds in turn.
pub fn pool(seed: u64, count: usize, min: usize, max: usize) -> Vec<Blob> {
    (0..count)
        .map(|i| {
            let mut rng = Rng::derive(seed, 1, i as u64);
            let size = rng.log_uniform(min, max);
            let word = rng.pick(WORDS);
            match i % 3 {
                0 => Blob {
                    kind: Kind::Pdf,
                    name: format!("{word}-{}.pdf", 2020 + rng.below(7)),
                    data: pdf(&mut rng, size),
                },
                1 => Blob {
                    kind: Kind::Photo,
                    name: format!("IMG_{:04}.jpg", rng.below(10_000)),
                    data: photo(&mut rng, size),
                },
                _ => Blob {
                    kind: Kind::Csv,
                    name: format!("{word}-export.csv"),
                    data: csv(&mut rng, size),
                },
            }
        })
        .collect()
}

fn photo(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00".to_vec();
    let body = size.saturating_sub(out.len() + 2);
    rng.fill(&mut out, body);
    out.extend_from_slice(b"\xFF\xD9");
    out
}

fn pdf(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut obj = 1;
    while out.len() + 64 < size {
        let text: Vec<&str> = (0..12).map(|_| *rng.pick(WORDS)).collect();
        out.extend_from_slice(
            format!(
                "{obj} 0 obj\n<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 5 0 R >> >> >>\nBT /F1 11 Tf 72 {} Td ({}) Tj ET\nendobj\n",
                100 + rng.below(600),
                text.join(" ")
            )
            .as_bytes(),
        );
        let stream = (256 + rng.below(8192)).min(size.saturating_sub(out.len() + 48));
        out.extend_from_slice(
            format!(
                "{} 0 obj\n<< /Length {stream} /Filter /FlateDecode >>\nstream\n",
                obj + 1
            )
            .as_bytes(),
        );
        rng.fill(&mut out, stream);
        out.extend_from_slice(b"\nendstream\nendobj\n");
        obj += 2;
    }
    out.extend_from_slice(b"trailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}

fn csv(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut out = b"date,account,description,amount,currency\n".to_vec();
    while out.len() < size {
        out.extend_from_slice(
            format!(
                "2026-{:02}-{:02},{:08},{} {},{}.{:02},EUR\n",
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(100_000_000),
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.below(100_000),
                rng.below(100)
            )
            .as_bytes(),
        );
    }
    out
}
