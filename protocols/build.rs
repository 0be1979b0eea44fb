//! Generates the Sparkplug B message types from `proto/sparkplug_b.proto`
//! (Eclipse Tahu, EPL-2.0, kept in the repository with its licence header).
//! protox parses the file in Rust, so the build needs neither a `protoc`
//! binary nor anything downloaded; prost-build writes the Rust types into
//! `OUT_DIR`, included by `src/sparkplug/proto.rs`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/sparkplug_b.proto");
    let descriptors = protox::compile(["sparkplug_b.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
