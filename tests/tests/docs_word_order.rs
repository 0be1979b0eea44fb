//! The word-order tables in `config/edge-agent.toml` and `README.md` are
//! true: every order is documented in both, and the registers each row
//! shows decode, in that order, to the value the table names.

use mes_protocols::modbus::{DataType, RawValue, WordOrder, decode_registers};
use std::path::Path;

fn repo_file(rel: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One documented row: the order, its two swaps, the registers shown.
#[derive(Debug)]
struct Row {
    order: WordOrder,
    word_swap: bool,
    byte_swap: bool,
    registers: Vec<u16>,
}

/// Rows of the table in `text`: lines whose first word (after comment and
/// table punctuation) is an order's name, then yes/no twice, then registers.
fn rows(text: &str) -> Vec<Row> {
    text.lines()
        .filter_map(|line| {
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || c == '|' || c == '`' || c == '#')
                .filter(|w| !w.is_empty())
                .collect();
            let order = match *words.first()? {
                "abcd" => WordOrder::Abcd,
                "cdab" => WordOrder::Cdab,
                "badc" => WordOrder::Badc,
                "dcba" => WordOrder::Dcba,
                _ => return None,
            };
            let yes = |w: &str| match w {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            };
            let registers = words
                .iter()
                .skip(3)
                .take(2)
                .map(|w| u16::from_str_radix(w.strip_prefix("0x")?, 16).ok())
                .collect::<Option<Vec<_>>>()?;
            Some(Row {
                order,
                word_swap: yes(words.get(1)?)?,
                byte_swap: yes(words.get(2)?)?,
                registers,
            })
        })
        .collect()
}

fn check(file: &str) {
    let rows = rows(&repo_file(file));
    assert_eq!(rows.len(), 4, "{file}: one row per order: {rows:?}");
    for order in WordOrder::ALL {
        let row = rows
            .iter()
            .find(|r| r.order == order)
            .unwrap_or_else(|| panic!("{file}: no row for {order}"));
        assert_eq!(
            (row.word_swap, row.byte_swap),
            (order.swaps_words(), order.swaps_bytes()),
            "{file}: {order}"
        );
        let value = decode_registers(DataType::F32, order, &row.registers).expect("two registers");
        assert_eq!(
            value,
            RawValue::Float(f64::from(123.456_f32)),
            "{file}: {order} {:04X?}",
            row.registers
        );
    }
}

#[test]
fn the_agent_config_example_documents_word_orders_truly() {
    check("config/edge-agent.toml");
}

#[test]
fn the_readme_documents_word_orders_truly() {
    check("README.md");
}
