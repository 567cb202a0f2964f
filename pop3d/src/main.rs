fn main() {
    eprintln!("eider-pop3d: not implemented yet");
    std::process::exit(2);
}
