fn main() {
    eprintln!("devstack: under construction");
    std::process::exit(2);
}
