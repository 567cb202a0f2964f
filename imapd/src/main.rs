fn main() {
    eprintln!("eider-imapd: not implemented yet");
    std::process::exit(2);
}
