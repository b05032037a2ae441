//! The `enishi` command line, built inside this package so that its tests can run (and kill)
//! real Enishi processes.

fn main() -> std::process::ExitCode {
    enishi_server::cli::main()
}
