// SPDX-License-Identifier: GPL-2.0

//! A vCPU's `histogram`: per row, its percentiles and non-empty buckets.

use super::header::Header;
use super::lines::{number, Lines};
use super::ParseError;
use kvm_exit_timing_core::shared;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub lowest: u64,
    pub highest: u64,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowHistogram {
    #[serde(rename = "type")]
    pub name: String,
    pub count: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p999: u64,
    pub buckets: Vec<Bucket>,
}

impl RowHistogram {
    /// The counts of every bucket, indexed as the module indexes them.
    pub fn dense(&self) -> Box<[u64; shared::BUCKETS]> {
        let mut out = Box::new([0u64; shared::BUCKETS]);
        for b in &self.buckets {
            out[shared::bucket_of(b.lowest)] += b.count;
        }
        out
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Histogram {
    pub header: Header,
    pub rows: Vec<RowHistogram>,
}

impl Histogram {
    pub fn parse(text: &str) -> Result<Histogram, ParseError> {
        let mut lines = Lines::new(text);
        let header = Header::parse(&mut lines)?;
        if header.kind != "histogram" {
            return Err(lines.error(format!("a '{}' file, not a histogram", header.kind)));
        }
        // The two lines that describe the layout.
        while lines.peek().is_some_and(|l| l.starts_with("# ")) {
            lines.next();
        }
        let mut rows: Vec<RowHistogram> = Vec::with_capacity(shared::ROWS);
        while let Some(line) = lines.next() {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["percentiles", name, count, p50, p90, p99, p999] => {
                    let i = rows.len();
                    if i >= shared::ROWS || *name != shared::row_name(i) {
                        return Err(
                            lines.error(format!("percentiles of '{name}' out of the rows' order"))
                        );
                    }
                    rows.push(RowHistogram {
                        name: name.to_string(),
                        count: number(&lines, count, "count")?,
                        p50: number(&lines, p50, "p50")?,
                        p90: number(&lines, p90, "p90")?,
                        p99: number(&lines, p99, "p99")?,
                        p999: number(&lines, p999, "p99.9")?,
                        buckets: Vec::new(),
                    });
                }
                ["bucket", name, lowest, highest, count] => {
                    let Some(row) = rows.last_mut().filter(|r| r.name == *name) else {
                        return Err(lines.error(format!("bucket of '{name}' outside its row")));
                    };
                    let b = Bucket {
                        lowest: number(&lines, lowest, "lowest")?,
                        highest: number(&lines, highest, "highest")?,
                        count: number(&lines, count, "count")?,
                    };
                    if shared::bucket_bounds(shared::bucket_of(b.lowest)) != (b.lowest, b.highest) {
                        return Err(
                            lines.error(format!("{}..{} is not a bucket", b.lowest, b.highest))
                        );
                    }
                    row.buckets.push(b);
                }
                [] => {}
                _ => {
                    return Err(lines.error(format!("'{line}' is not a percentiles or bucket line")))
                }
            }
        }
        if rows.len() != shared::ROWS {
            return Err(lines.error(format!("{} rows, expected {}", rows.len(), shared::ROWS)));
        }
        Ok(Histogram { header, rows })
    }
}
