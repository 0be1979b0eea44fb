//! The hub's command line, built inside this package so integration tests
//! and benchmarks can start it as a real process (`CARGO_BIN_EXE_hub`).

fn main() -> std::process::ExitCode {
    cloud_hub::cli::main()
}
