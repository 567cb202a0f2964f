fn main() {
    eprintln!("eider-api: not implemented yet");
    std::process::exit(2);
}
