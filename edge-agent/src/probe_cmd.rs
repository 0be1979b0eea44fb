//! The `probe` command: loads the configuration, reads the devices once and
//! prints a table (Modbus) or a report per server (OPC UA, with a browse of
//! its address space on request).

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
    browse: Option<crate::sources::opcua::Browse>,
) -> ExitCode {
    let (devices, servers) = match crate::config::load(Some(config)) {
        Ok(loaded) => (
            loaded.spec.machines.modbus_devices().to_vec(),
            loaded.spec.machines.opcua_servers().to_vec(),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let selected: Vec<_> = devices
        .into_iter()
        .filter(|d| device.as_deref().is_none_or(|n| d.name.as_str() == n))
        .collect();
    let servers: Vec<_> = servers
        .into_iter()
        .filter(|s| area.is_none() && device.as_deref().is_none_or(|n| s.name.as_str() == n))
        .collect();
    if selected.is_empty() && servers.is_empty() {
        eprintln!(
            "error: no Modbus device or OPC UA server {} in {}",
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
    let (rows, reports) = runtime.block_on(async {
        let mut reports = Vec::new();
        for server in &servers {
            reports.push(crate::sources::opcua::probe(server, browse.as_ref()).await);
        }
        let mut rows = Vec::new();
        for d in &selected {
            match range {
                Some((area, start, count)) => rows.extend(probe_range(d, area, start, count).await),
                None => rows.extend(probe_tags(d).await),
            }
        }
        (rows, reports)
    });
    if !selected.is_empty() {
        print!("{}", render(&rows));
    }
    for (report, _) in &reports {
        print!("{report}");
    }
    if rows.iter().all(|r| r.value.is_ok()) && reports.iter().all(|(_, ok)| *ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
