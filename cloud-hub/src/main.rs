//! The `cloud-hub` binary; everything lives in the library (`cloud_hub::cli`).

fn main() -> std::process::ExitCode {
    cloud_hub::cli::main()
}
