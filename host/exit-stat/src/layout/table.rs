// SPDX-License-Identifier: GPL-2.0

//! `stats` (a vCPU's table) and `summary` (a VM's or every VM's): the
//! header, 32 rows in the module's order, and the EL2 section.

use super::header::Header;
use super::lines::{expect_columns, number, Lines};
use super::stats::{Fixed2, Stats, COLUMNS};
use super::ParseError;
use kvm_exit_timing_core::shared;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    #[serde(rename = "type")]
    pub name: String,
    #[serde(flatten)]
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct El2Row {
    #[serde(rename = "type")]
    pub name: String,
    pub count: u64,
    /// Percent of every trap, in hundredths.
    pub share_percent: Fixed2,
    pub count_per_s: Fixed2,
}

/// Traps KVM handled at EL2 (since 0.3.0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct El2Section {
    pub traps: u64,
    pub to_host: u64,
    pub at_el2: u64,
    pub rows: Vec<El2Row>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub header: Header,
    pub rows: Vec<Row>,
    pub el2: Option<El2Section>,
}

impl Table {
    pub fn parse(text: &str) -> Result<Table, ParseError> {
        let mut lines = Lines::new(text);
        let header = Header::parse(&mut lines)?;
        if header.kind != "stats" && header.kind != "summary" {
            return Err(lines.error(format!("a '{}' file, not a table", header.kind)));
        }
        let mut want = vec!["type"];
        want.extend(COLUMNS);
        expect_columns(&mut lines, &want)?;
        let mut rows = Vec::with_capacity(shared::ROWS);
        for i in 0..shared::ROWS {
            let line = lines.expect("all 32 rows")?;
            let fields: Vec<&str> = line.split_whitespace().collect();
            let name = shared::row_name(i);
            if fields.first() != Some(&name) {
                return Err(lines.error(format!(
                    "row {} is '{}', expected {name}",
                    i + 1,
                    fields.first().unwrap_or(&"")
                )));
            }
            rows.push(Row {
                name: name.to_owned(),
                stats: Stats::parse(&lines, &fields[1..])?,
            });
        }
        let el2 = parse_el2(&mut lines)?;
        Ok(Table { header, rows, el2 })
    }
}

/// Whether row `name` counts guest exits (TIMEINGUEST, DESCHEDULED do not).
pub fn is_exit_row(name: &str) -> bool {
    (0..shared::ROWS).any(|i| shared::row_name(i) == name && shared::row_is_exit(i))
}

fn parse_el2(lines: &mut Lines<'_>) -> Result<Option<El2Section>, ParseError> {
    lines.skip_blank();
    let Some(first) = lines.peek() else {
        return Ok(None);
    };
    if !first.starts_with("# el2: ") {
        return Err(lines.error(format!("'{first}' after the 32 rows")));
    }
    lines.next();
    let traps_line = lines.expect("'# traps:'")?;
    // # traps: T (H to the host, E at EL2)
    let bad = || lines.error("expected '# traps: T (H to the host, E at EL2)'");
    let words: Vec<&str> = traps_line
        .strip_prefix("# traps: ")
        .ok_or_else(bad)?
        .split_whitespace()
        .collect();
    let nums = match words.as_slice() {
        [t, h, "to", "the", "host,", e, "at", "EL2)"] => {
            [*t, h.strip_prefix('(').ok_or_else(bad)?, *e]
        }
        _ => return Err(bad()),
    };
    let traps = number(lines, nums[0], "traps")?;
    let to_host = number(lines, nums[1], "traps to the host")?;
    let at_el2 = number(lines, nums[2], "traps at EL2")?;
    expect_columns(lines, &["type", "count", "share", "count/s"])?;
    let mut rows = Vec::with_capacity(shared::EL2_ROWS);
    for i in 0..shared::EL2_ROWS {
        let line = lines.expect("all EL2 rows")?;
        let f: Vec<&str> = line.split_whitespace().collect();
        let name = shared::el2_row_name(i);
        if f.len() != 4 || f[0] != name {
            return Err(lines.error(format!("expected the {name} row, got '{line}'")));
        }
        let share = f[2]
            .strip_suffix('%')
            .and_then(Fixed2::parse)
            .ok_or_else(|| lines.error(format!("share '{}' is not a percentage", f[2])))?;
        let rate = Fixed2::parse(f[3]).ok_or_else(|| lines.error(format!("count/s '{}'", f[3])))?;
        rows.push(El2Row {
            name: name.to_owned(),
            count: number(lines, f[1], "count")?,
            share_percent: share,
            count_per_s: rate,
        });
    }
    lines.skip_blank();
    if let Some(extra) = lines.next() {
        return Err(lines.error(format!("'{extra}' after the EL2 section")));
    }
    Ok(Some(El2Section {
        traps,
        to_host,
        at_el2,
        rows,
    }))
}
