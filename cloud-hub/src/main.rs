//! The `cloud-hub` binary; everything lives in the library (`cloud_hub::cli`).

/// The hub's allocator (see [`cloud_hub::app::HubAllocator`]).
#[global_allocator]
static ALLOCATOR: cloud_hub::app::HubAllocator = cloud_hub::app::HubAllocator {};

fn main() -> std::process::ExitCode {
    cloud_hub::cli::main()
}
