//! Prints an argon2id hash of a password exactly as `eider user add` stores it (the same
//! parameters), so a benchmark can give Dovecot's passdb the same hash cost as Eider's
//! (`{ARGON2ID}` + this string: libsodium reads the parameters from it).

use clap::Parser;

#[derive(Parser, Debug)]
#[command(about = "Print Eider's argon2id hash of a password")]
struct Args {
    password: String,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("{}", eider_runtime::password::hash(&args.password)?);
    Ok(())
}
