// SPDX-License-Identifier: GPL-2.0

//! The text of a breakdown file (`sysregs`, `hypercalls`, `wfx`): the
//! exit tables' header and columns, with the key in two more columns.

use super::breakdown::{Breakdown, SlotKey, KEYS};
use super::breakdown_sums::{KeyedSums, SUM_KEYS};
use super::exit_type::ExitType;
use super::histogram::BUCKETS;
use super::host_irq::IrqLabel;
use super::key_names::key_columns;
use super::row::RowStats;
use super::table::{display_len, stats_cells, write_header, Header, RowSummary};
use core::fmt::{self, Display, Write};

const COLUMNS: [&str; 13] = [
    "type", "key", "detail", "count", "min", "max", "avg", "total", "stddev", "p50", "p99",
    "count/s", "total/s",
];

/// Calls `cell(column, value)` for each cell of the row of `key`.
fn cells(
    key: SlotKey,
    stats: &RowStats,
    buckets: &[u64; BUCKETS],
    h: &Header<'_>,
    irq: &dyn Fn(u32) -> IrqLabel,
    mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result,
) -> fmt::Result {
    let r = RowSummary::new(*stats, buckets);
    match key.get() {
        Some((row @ ExitType::Interrupt, k)) => {
            let label = irq(k);
            cell(0, &row.name())?;
            cell(1, &label.name())?;
            cell(2, &label.detail())?;
        }
        Some((row, k)) => {
            let (name, detail) = key_columns(row, k);
            cell(0, &row.name())?;
            cell(1, &name)?;
            cell(2, &detail)?;
        }
        None => {
            cell(0, &"OTHER")?;
            cell(1, &"OTHER")?;
            cell(2, &"-")?;
        }
    }
    stats_cells(&r, h, 3, cell)
}

/// The key columns left-aligned, the numbers right-aligned, two spaces
/// apart.
fn put(w: &mut impl Write, column: usize, v: &dyn Display, width: usize) -> fmt::Result {
    match column {
        0 => write!(w, "{v:<width$}"),
        1 | 2 => write!(w, "  {v:<width$}"),
        _ => write!(w, "  {v:>width$}"),
    }
}

/// A breakdown file: the header, whether the breakdown is `on`, its
/// columns, then a row per key seen (by exit row, then key) and `OTHER`.
/// `irq` labels the host IRQs of the `interrupts` breakdown.
pub(crate) fn write_breakdown(
    w: &mut impl Write,
    h: &Header<'_>,
    b: Breakdown,
    on: bool,
    sums: &KeyedSums,
    irq: &dyn Fn(u32) -> IrqLabel,
) -> fmt::Result {
    let mut widths = COLUMNS.map(str::len);
    sums.for_each_row(|key, stats, buckets| {
        cells(key, stats, buckets, h, irq, |c, v| {
            widths[c] = widths[c].max(display_len(v));
            Ok(())
        })
    })?;
    write_header(w, h)?;
    if on {
        writeln!(w, "# breakdown: on")?;
    } else {
        writeln!(
            w,
            "# breakdown: off (write 'breakdown {} on' to control)",
            b.name()
        )?;
    }
    writeln!(
        w,
        "# keys: {KEYS} per vCPU, {SUM_KEYS} per file; exits of further keys are in OTHER"
    )?;
    for (c, name) in COLUMNS.iter().enumerate() {
        put(w, c, name, widths[c])?;
    }
    writeln!(w)?;
    sums.for_each_row(|key, stats, buckets| {
        cells(key, stats, buckets, h, irq, |c, v| put(w, c, v, widths[c]))?;
        writeln!(w)
    })
}
