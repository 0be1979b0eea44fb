//! `edge-agent probe`: read every configured tag once (or a raw address
//! range) and show the decoded values and errors, without starting the
//! agent. For integrators wiring a new device.

use super::config::{DeviceSpec, TagSpec};
use super::connection::{BlockData, connect, describe, read_block};
use super::report::to_tag_value;
use mes_protocols::modbus::{Area, RawValue, ReadBlock};

/// One line of the probe's table.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRow {
    /// Device name.
    pub device: String,
    /// Tag name (or the address, for a raw range).
    pub tag: String,
    /// Where (`holding register 20 (40021)`).
    pub address: String,
    /// The decoded value, or what went wrong.
    pub value: Result<String, String>,
}

/// Reads every tag of `device` once.
pub async fn probe_tags(device: &DeviceSpec) -> Vec<ProbeRow> {
    let tags: Vec<&TagSpec> = device.groups.iter().flat_map(|g| g.tags.iter()).collect();
    let row = |tag: &TagSpec, value| ProbeRow {
        device: device.name.to_string(),
        tag: tag.name.to_string(),
        address: tag.point.at().to_string(),
        value,
    };
    let mut ctx = match connect(&device.transport, device.unit_id, device.timeout).await {
        Ok(c) => c,
        Err(e) => return tags.iter().map(|t| row(t, Err(e.clone()))).collect(),
    };
    let mut rows = Vec::with_capacity(tags.len());
    for tag in tags {
        let span = tag.point.span();
        let block = ReadBlock {
            area: span.area,
            start: span.start,
            count: span.count,
        };
        let value = match read_block(&mut ctx, &block, device.timeout).await {
            Ok(data) => decode(tag, &data).and_then(|raw| to_tag_value(tag, raw).map(|v| v.to_string())),
            Err(e) => Err(e.to_string()),
        };
        rows.push(row(tag, value));
    }
    rows
}

fn decode(tag: &TagSpec, data: &BlockData) -> Result<RawValue, String> {
    match data {
        BlockData::Words(w) => tag.point.decode_registers(w),
        BlockData::Bits(b) => tag.point.decode_bits(b),
    }
    .map_err(|e| e.to_string())
}

/// Reads `count` registers or bits of `area` from `start` and shows each raw.
pub async fn probe_range(device: &DeviceSpec, area: Area, start: u16, count: u16) -> Vec<ProbeRow> {
    let block = ReadBlock { area, start, count };
    let row = |offset: u16, value| ProbeRow {
        device: device.name.to_string(),
        tag: format!("+{offset}"),
        address: describe(&ReadBlock {
            area,
            start: start.saturating_add(offset),
            count: 1,
        }),
        value,
    };
    let mut ctx = match connect(&device.transport, device.unit_id, device.timeout).await {
        Ok(c) => c,
        Err(e) => return vec![row(0, Err(e))],
    };
    match read_block(&mut ctx, &block, device.timeout).await {
        Ok(BlockData::Words(w)) => w
            .iter()
            .enumerate()
            .map(|(i, v)| row(i as u16, Ok(format!("{v} (0x{v:04X})"))))
            .collect(),
        Ok(BlockData::Bits(b)) => b
            .iter()
            .enumerate()
            .map(|(i, v)| row(i as u16, Ok(v.to_string())))
            .collect(),
        Err(e) => vec![row(0, Err(e.to_string()))],
    }
}

/// Formats rows as an aligned text table.
pub fn render(rows: &[ProbeRow]) -> String {
    let header = ["DEVICE", "TAG", "ADDRESS", "VALUE / ERROR"];
    let cells: Vec<[String; 4]> = rows
        .iter()
        .map(|r| {
            let value = match &r.value {
                Ok(v) => v.clone(),
                Err(e) => format!("ERROR: {e}"),
            };
            [r.device.clone(), r.tag.clone(), r.address.clone(), value]
        })
        .collect();
    let width = |i: usize| {
        cells
            .iter()
            .map(|c| c[i].chars().count())
            .chain([header[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths = [width(0), width(1), width(2)];
    let line = |c: [&str; 4]| {
        format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    let mut out = line(header);
    for c in &cells {
        out.push_str(&line([&c[0], &c[1], &c[2], &c[3]]));
    }
    out
}
