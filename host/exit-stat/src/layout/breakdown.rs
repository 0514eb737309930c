// SPDX-License-Identifier: GPL-2.0

//! The breakdowns, `sysregs`, `hypercalls`, `wfx`, `mmio`,
//! `interrupts`: one row per key seen, then `OTHER`.

use super::header::Header;
use super::lines::{expect_columns, Lines};
use super::stats::{Stats, COLUMNS};
use super::ParseError;
use serde::{Deserialize, Serialize};

/// The breakdowns a tree may hold, in the module's order; `ipi` is
/// separate (its own layout).
pub const KINDS: [&str; 5] = ["sysregs", "hypercalls", "wfx", "mmio", "interrupts"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    #[serde(rename = "type")]
    pub row: String,
    pub key: String,
    pub detail: String,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    pub header: Header,
    pub rows: Vec<KeyRow>,
}

impl Breakdown {
    pub fn parse(text: &str) -> Result<Breakdown, ParseError> {
        let mut lines = Lines::new(text);
        let header = Header::parse(&mut lines)?;
        if !KINDS.contains(&header.kind.as_str()) {
            return Err(lines.error(format!("a '{}' file, not a breakdown", header.kind)));
        }
        let mut want = vec!["type", "key", "detail"];
        want.extend(COLUMNS);
        expect_columns(&mut lines, &want)?;
        let mut rows = Vec::new();
        while let Some(line) = lines.next() {
            if line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() != 3 + COLUMNS.len() {
                return Err(lines.error(format!("{} columns in '{line}'", f.len())));
            }
            rows.push(KeyRow {
                row: f[0].to_owned(),
                key: f[1].to_owned(),
                detail: f[2].to_owned(),
                stats: Stats::parse(&lines, &f[3..])?,
            });
        }
        if rows.last().is_none_or(|r| r.row != "OTHER") {
            return Err(lines.error("the last row is not OTHER"));
        }
        Ok(Breakdown { header, rows })
    }
}
