//! `[[station]]` tables: the operator stations this agent serves, each with
//! its page at `/stations/{code}` and optionally a TCP port for a
//! fixed-mount scanner.
//!
//! ```toml
//! [[station]]
//! code = "st-1"
//! scanner_port = "0.0.0.0:7001"
//! sound = true
//! ```

use mes_protocols::Code;
use mes_protocols::barcode::{ScanConfig, ScanParser};
use mes_protocols::config_text::ConfigError;
use serde::Deserialize;
use std::net::SocketAddr;

/// One operator station.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationConfig {
    /// The station's code, as in the hub's master data (the downlink's
    /// station record gives its name and equipment).
    pub code: String,
    /// Address to listen on for a fixed-mount scanner that sends one scan
    /// per line over TCP; each line gets a one-line answer back
    /// (`OK ...` or `ERR ...`). Absent: no scanner port.
    #[serde(default)]
    pub scanner_port: Option<SocketAddr>,
    /// Whether the station page beeps on every answer.
    #[serde(default = "default_sound")]
    pub sound: bool,
}

fn default_sound() -> bool {
    true
}

/// A checked station configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationSpec {
    /// The station's code.
    pub code: Code,
    /// The scanner port, if any.
    pub scanner_port: Option<SocketAddr>,
    /// Beep on answers.
    pub sound: bool,
}

/// Checks every `[[station]]` table: valid, distinct codes and distinct
/// scanner ports; errors name `station[i].key`.
pub fn parse_stations(file: &str, stations: &[StationConfig]) -> Result<Vec<StationSpec>, ConfigError> {
    let mut out: Vec<StationSpec> = Vec::with_capacity(stations.len());
    for (i, s) in stations.iter().enumerate() {
        let code = Code::parse(&s.code).map_err(|why| {
            ConfigError::new(
                file,
                format!("station[{i}].code"),
                format!("`{}`: code {why}", s.code),
            )
        })?;
        if out.iter().any(|o| o.code == code) {
            return Err(ConfigError::new(
                file,
                format!("station[{i}].code"),
                format!("station {code} is configured twice"),
            ));
        }
        if let Some(port) = s.scanner_port
            && let Some(other) = out.iter().find(|o| o.scanner_port == Some(port))
        {
            return Err(ConfigError::new(
                file,
                format!("station[{i}].scanner_port"),
                format!("{port} is already the scanner port of station {}", other.code),
            ));
        }
        out.push(StationSpec {
            code,
            scanner_port: s.scanner_port,
            sound: s.sound,
        });
    }
    Ok(out)
}

/// The stations' part of the configuration, checked: the stations, and
/// how the site's barcodes read (`[scan]`).
#[derive(Debug, Clone, Default)]
pub struct StationsSpec {
    /// The stations, in configuration order.
    pub stations: Vec<StationSpec>,
    /// Reads scans by the site's prefixes.
    pub parser: ScanParser,
}

/// Checks `[[station]]` and `[scan]` as read from `file`.
pub fn parse(file: &str, stations: &[StationConfig], scan: &ScanConfig) -> Result<StationsSpec, ConfigError> {
    let parser =
        ScanParser::new(scan).map_err(|e| ConfigError::new(file, format!("scan.{}", e.field), e.reason))?;
    Ok(StationsSpec {
        stations: parse_stations(file, stations)?,
        parser,
    })
}
