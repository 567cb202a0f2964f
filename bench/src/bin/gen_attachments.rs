//! Writes a corpus of large messages with recurring attachments (see
//! `eider_bench::attachments`): `DIR/00000.eml` ... in CRLF wire form, the same bytes for the
//! same seed. Feed it to `bench/scripts/storage.sh` or `lmtp-load --corpus DIR`.

use anyhow::Context as _;
use clap::Parser;
use eider_bench::attachments::{Generator, Spec};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(about = "Generate large messages whose attachments recur, deterministically from a seed")]
struct Args {
    /// Output folder (created if missing).
    #[arg(long)]
    out: PathBuf,
    /// Messages to write.
    #[arg(long, default_value_t = 300)]
    messages: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Attachments in the pool the messages draw from.
    #[arg(long, default_value_t = 12)]
    pool: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {:?}", args.out))?;
    let generator = Generator::new(Spec {
        pool: args.pool.max(1),
        ..Spec::new(args.seed)
    });
    let mut bytes = 0u64;
    for i in 0..args.messages {
        let message = generator.message(i);
        bytes += message.len() as u64;
        let path = args.out.join(format!("{i:05}.eml"));
        std::fs::write(&path, &message).with_context(|| format!("writing {path:?}"))?;
    }
    let pool: usize = generator.pool().iter().map(|b| b.data.len()).sum();
    println!(
        "{{\"messages\":{},\"bytes\":{bytes},\"pool\":{},\"pool_bytes\":{pool}}}",
        args.messages,
        generator.pool().len()
    );
    Ok(())
}
