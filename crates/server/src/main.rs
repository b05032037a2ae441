//! `enishi`: run a community instance and administer it.

fn main() -> std::process::ExitCode {
    enishi_server::cli::main()
}
