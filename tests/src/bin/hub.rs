//! The hub's command line, built inside this package so integration tests
//! and benchmarks can start it as a real process (`CARGO_BIN_EXE_hub`).

/// The hub's allocator (see [`cloud_hub::app::HubAllocator`]).
#[global_allocator]
static ALLOCATOR: cloud_hub::app::HubAllocator = cloud_hub::app::HubAllocator {};

fn main() -> std::process::ExitCode {
    cloud_hub::cli::main()
}
