// SPDX-License-Identifier: GPL-2.0

//! `ipi`: virtual IPI latency by kind, and (a VM's and a vCPU's file)
//! the sender x receiver matrix.

use super::header::Header;
use super::lines::{expect_columns, number, Lines};
use super::stats::{Stats, COLUMNS};
use super::table::Row;
use super::ParseError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pair {
    /// A vCPU id, or `64+` for the senders that share a line.
    pub sender: String,
    pub receiver: u32,
    pub count: u64,
    pub min: u64,
    pub max: u64,
    pub avg: u64,
    pub stddev: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ipi {
    pub header: Header,
    pub rows: Vec<Row>,
    pub matrix: Vec<Pair>,
}

impl Ipi {
    pub fn parse(text: &str) -> Result<Ipi, ParseError> {
        let mut lines = Lines::new(text);
        let header = Header::parse(&mut lines)?;
        if header.kind != "ipi" {
            return Err(lines.error(format!("a '{}' file, not ipi", header.kind)));
        }
        let mut want = vec!["type"];
        want.extend(COLUMNS);
        expect_columns(&mut lines, &want)?;
        let mut rows = Vec::new();
        while let Some(line) = lines.peek() {
            if line.trim().is_empty() || line.starts_with('#') {
                break;
            }
            lines.next();
            let f: Vec<&str> = line.split_whitespace().collect();
            rows.push(Row {
                name: f[0].to_owned(),
                stats: Stats::parse(&lines, &f[1..])?,
            });
        }
        lines.skip_blank();
        let mut matrix = Vec::new();
        if lines.peek().is_some_and(|l| l.starts_with("# matrix")) {
            lines.next();
            expect_columns(
                &mut lines,
                &["sender", "receiver", "count", "min", "max", "avg", "stddev"],
            )?;
            while let Some(line) = lines.next() {
                let f: Vec<&str> = line.split_whitespace().collect();
                if f.is_empty() {
                    continue;
                }
                if f.len() != 7 {
                    return Err(lines.error(format!("'{line}' is not a matrix line")));
                }
                matrix.push(Pair {
                    sender: f[0].to_owned(),
                    receiver: number(&lines, f[1], "receiver")?,
                    count: number(&lines, f[2], "count")?,
                    min: number(&lines, f[3], "min")?,
                    max: number(&lines, f[4], "max")?,
                    avg: number(&lines, f[5], "avg")?,
                    stddev: number(&lines, f[6], "stddev")?,
                });
            }
        }
        if let Some(extra) = lines.next() {
            return Err(lines.error(format!("'{extra}' after the rows")));
        }
        Ok(Ipi {
            header,
            rows,
            matrix,
        })
    }
}
