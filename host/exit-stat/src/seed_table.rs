// SPDX-License-Identifier: GPL-2.0

//! The exit table as the 2016 LS2080 study printed it (type, count, min,
//! max, avg, total, stddev), with the percentiles and each row's share of
//! the handling time added.

use crate::interval::{Interval, Precision, RowInterval};
use std::fmt::Write;

pub struct Options {
    /// Print rows without exits too.
    pub all_rows: bool,
}

/// Column names, then one line per row.
pub fn render(iv: &Interval, opts: &Options) -> String {
    let mut out = String::new();
    header(&mut out, iv);
    let rows: Vec<&RowInterval> = iv
        .rows
        .iter()
        .filter(|r| opts.all_rows || r.count > 0)
        .collect();
    let mut cells: Vec<[String; 10]> = vec![[
        "type", "count", "min", "max", "avg", "total", "stddev", "p50", "p99", "time%",
    ]
    .map(str::to_owned)];
    for r in &rows {
        let share = iv.share(r).map_or("-".to_owned(), |s| s.to_string());
        cells.push([
            r.name.clone(),
            r.count.to_string(),
            r.shown(r.min),
            r.shown(r.max),
            r.avg().to_string(),
            r.total.to_string(),
            r.shown(r.stddev),
            r.shown(r.p50),
            r.shown(r.p99),
            share,
        ]);
    }
    write_aligned(&mut out, &cells);
    if rows.iter().any(|r| r.precision == Precision::Estimated) {
        out.push_str("# ~: from the interval's histogram (within 12.5%): the interval starts after the row's first exit\n");
    }
    if rows.iter().any(|r| r.precision == Precision::Unknown) {
        out.push_str("# ?: not in any histogram: the exits were a destroyed VM's, or were recorded between two files' reads\n");
    }
    out
}

fn header(out: &mut String, iv: &Interval) {
    let _ = writeln!(out, "# scope: {}", iv.scope.label());
    let _ = writeln!(
        out,
        "# interval: {}.{:03} s{}",
        iv.length_us / 1_000_000,
        (iv.length_us % 1_000_000) / 1000,
        if iv.resets > 0 {
            format!(" (from a reset inside it; {} reset(s) seen)", iv.resets)
        } else {
            String::new()
        }
    );
    let _ = writeln!(out, "# unit: {} at {} Hz", iv.unit, iv.frequency_hz);
    let exits = iv.exits();
    let _ = writeln!(
        out,
        "# exits: {exits}, handling time {:.6} s",
        iv.seconds(iv.handling_total())
    );
}

/// Left-aligned first column, the others right-aligned, two spaces apart.
pub fn write_aligned<const N: usize>(out: &mut String, cells: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    for row in cells {
        let mut line = String::new();
        for (i, (c, w)) in row.iter().zip(widths).enumerate() {
            if i == 0 {
                let _ = write!(line, "{c:<w$}");
            } else {
                let _ = write!(line, "  {c:>w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}
