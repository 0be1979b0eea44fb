//! The `probe` command: loads the configuration, reads the devices once and
//! prints a table.

use crate::sources::modbus::{probe_range, probe_tags, render};
use mes_protocols::modbus::Area;
use std::path::Path;
use std::process::ExitCode;

/// Runs the probe; exit code 0 when every read succeeded, 1 when some
/// failed, 2 for a bad configuration or arguments.
pub fn run(
    config: &Path,
    device: Option<String>,
    area: Option<String>,
    start: Option<u16>,
    count: Option<u16>,
) -> ExitCode {
    let devices = match crate::config::load(Some(config)) {
        Ok(loaded) => loaded.spec.machines.modbus_devices().to_vec(),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<_> = devices
        .into_iter()
        .filter(|d| device.as_deref().is_none_or(|n| d.name.as_str() == n))
        .collect();
    if selected.is_empty() {
        eprintln!(
            "error: no Modbus device {} in {}",
            device.as_deref().unwrap_or("at all"),
            config.display()
        );
        return ExitCode::from(2);
    }
    let range = match (area, start, count) {
        (Some(a), Some(s), Some(c)) => {
            match serde_json::from_value::<Area>(serde_json::Value::String(a.clone())) {
                Ok(area) => Some((area, s, c)),
                Err(_) => {
                    eprintln!(
                        "error: --area `{a}` is not coil, discrete_input, holding_register or input_register"
                    );
                    return ExitCode::from(2);
                }
            }
        }
        _ => None,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let rows = runtime.block_on(async {
        let mut rows = Vec::new();
        for d in &selected {
            match range {
                Some((area, start, count)) => rows.extend(probe_range(d, area, start, count).await),
                None => rows.extend(probe_tags(d).await),
            }
        }
        rows
    });
    print!("{}", render(&rows));
    if rows.iter().all(|r| r.value.is_ok()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
