//! `eider db init`: opens the configured store, which creates whatever is missing (MongoDB
//! collections, indexes and counters; the embedded store's file and tables), then exits.
//! `eider db stats`: the embedded store's bytes by table (see `eider_store::embedded::DbStats`).

use crate::cli::DbCommand;
use crate::error::{CliError, CliResult};
use crate::output;
use eider_runtime::config::{Backend, Config};
use eider_runtime::daemon;
use eider_store::embedded::DbStats;

pub async fn run(config: &Config, cmd: DbCommand) -> CliResult<()> {
    match cmd {
        DbCommand::Init => {
            eider_runtime::open_store(config).await?;
            println!("initialised {}", daemon::store_location(config));
            Ok(())
        }
        DbCommand::Stats { json } => stats(config, json).await,
    }
}

async fn stats(config: &Config, json: bool) -> CliResult<()> {
    if !matches!(config.store.backend, Backend::Embedded) {
        return Err(CliError::Usage(
            "db stats reads the embedded store only (store.backend = \"embedded\")".into(),
        ));
    }
    let store = eider_runtime::open::open_embedded(config).await?;
    let stats = store.storage_stats().await?;
    if json {
        return output::json(&stats);
    }
    print_stats(&stats);
    Ok(())
}

fn print_stats(s: &DbStats) {
    let header = [
        "TABLE", "ENTRIES", "KEY_B", "VALUE_B", "STORED_B", "META_B", "FRAG_B", "ALLOC_B",
    ];
    let rows = s.tables.iter().map(|t| {
        vec![
            t.name.clone(),
            t.entries.to_string(),
            t.key_bytes.to_string(),
            t.value_bytes.to_string(),
            t.stored_bytes.to_string(),
            t.metadata_bytes.to_string(),
            t.fragmented_bytes.to_string(),
            t.allocated_bytes.to_string(),
        ]
    });
    output::table(&header, rows);
    let tables = s.allocated_bytes();
    println!(
        "file {} bytes: tables {tables}, free or redb's own {}",
        s.file_bytes,
        s.file_bytes.saturating_sub(tables)
    );
    let b = &s.bodies;
    println!(
        "bodies: {} records, {} bytes = segments {} + part tree {} + envelope {} + headers {} + other {}; zstd-3 per record {}; {} distinct contents, {} bytes",
        b.records,
        b.total_bytes,
        b.segments_bytes,
        b.part_tree_bytes,
        b.envelope_bytes,
        b.headers_bytes,
        b.other_bytes,
        b.zstd_bytes,
        b.distinct_contents,
        b.distinct_bytes
    );
    for (role, u) in [
        ("skeleton", &s.blobs.skeleton),
        ("attachment", &s.blobs.attachment),
        ("text", &s.blobs.text),
        ("unnamed", &s.blobs.unnamed),
    ] {
        println!(
            "{role} blobs: {}, decoded {} bytes, chunks {} bytes, {} references",
            u.blobs, u.decoded_bytes, u.chunk_bytes, u.references
        );
    }
}
