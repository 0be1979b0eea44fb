//! The agent's command line, built inside this package so integration tests
//! and benchmarks can start it as a real process (`CARGO_BIN_EXE_agent`).

fn main() -> std::process::ExitCode {
    edge_agent::cli::main()
}
