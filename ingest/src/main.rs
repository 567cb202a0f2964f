fn main() {
    eprintln!("eider-ingest: not implemented yet");
    std::process::exit(2);
}
