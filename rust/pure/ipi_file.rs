// SPDX-License-Identifier: GPL-2.0

//! The text of the `ipi` files: virtual IPI latency by where the receiver
//! was, with the tables' columns, then the sender x receiver matrix.

use super::histogram::BUCKETS;
use super::ipi::{IpiKind, OTHER_SENDER};
use super::row::RowStats;
use super::table::{
    display_len, stats_cells, write_cell, write_header, Header, RowSummary, COLUMNS,
};
use super::totals::add_buckets;
use core::fmt::{self, Display, Write};

/// The latency rows by kind, summed over receivers. About 7 KB: allocate
/// it. All-zero memory is empty.
pub(crate) struct IpiSums {
    stats: [RowStats; IpiKind::COUNT],
    buckets: [[u64; BUCKETS]; IpiKind::COUNT],
}

impl IpiSums {
    pub(crate) fn add(&mut self, kind: IpiKind, stats: &RowStats, buckets: &[u64; BUCKETS]) {
        self.stats[kind as usize].merge(stats);
        add_buckets(&mut self.buckets[kind as usize], buckets);
    }

    pub(crate) fn merge(&mut self, other: &IpiSums) {
        for k in IpiKind::ALL {
            self.add(k, &other.stats[k as usize], &other.buckets[k as usize]);
        }
    }
}

/// One cell of the matrix: the latencies from a sender to a receiver.
pub(crate) struct Cell {
    /// The sender's vCPU id, or [`OTHER_SENDER`] for those of higher ids.
    pub(crate) sender: usize,
    pub(crate) receiver: u32,
    pub(crate) stats: RowStats,
}

/// How the file's matrix is made: `None` for a file without one (the
/// global file), else a function that calls its argument on each cell.
pub(crate) type Matrix<'a> =
    Option<&'a mut dyn FnMut(&mut dyn FnMut(&Cell) -> fmt::Result) -> fmt::Result>;

const MATRIX_COLUMNS: [&str; 7] = ["sender", "receiver", "count", "min", "max", "avg", "stddev"];

fn kind_cells(
    k: IpiKind,
    r: &RowSummary,
    h: &Header<'_>,
    mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result,
) -> fmt::Result {
    cell(0, &k.name())?;
    stats_cells(r, h, 1, cell)
}

/// A sender's id, or `64+` for the shared row of higher ids.
struct Sender(usize);

impl Display for Sender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == OTHER_SENDER {
            f.pad("64+")
        } else {
            let mut s = super::text_buf::TextBuf::<8>::new();
            write!(s, "{}", self.0)?;
            f.pad(s.as_str())
        }
    }
}

fn matrix_cells(c: &Cell, mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result) -> fmt::Result {
    let s = &c.stats;
    cell(0, &Sender(c.sender))?;
    cell(1, &c.receiver)?;
    cell(2, &s.count)?;
    cell(3, &s.min)?;
    cell(4, &s.max)?;
    cell(5, &s.avg())?;
    cell(6, &s.stddev())
}

/// An `ipi` file: the header, whether IPI latency is `on` (`why_not`
/// says why it cannot be, if so), the rows by kind, then the matrix.
pub(crate) fn write_ipi(
    w: &mut impl Write,
    h: &Header<'_>,
    on: bool,
    why_not: Option<&str>,
    sums: &IpiSums,
    mut matrix: Matrix<'_>,
) -> fmt::Result {
    let rows =
        IpiKind::ALL.map(|k| RowSummary::new(sums.stats[k as usize], &sums.buckets[k as usize]));
    let mut widths = COLUMNS.map(str::len);
    for (k, r) in IpiKind::ALL.iter().zip(rows.iter()) {
        kind_cells(*k, r, h, |c, v| {
            widths[c] = widths[c].max(display_len(v));
            Ok(())
        })?;
    }
    write_header(w, h)?;
    match (on, why_not) {
        (true, None) => writeln!(w, "# breakdown: on")?,
        (true, Some(why)) => writeln!(w, "# breakdown: on, but not timed: {why}")?,
        (false, _) => writeln!(w, "# breakdown: off (write 'breakdown ipi on' to control)")?,
    }
    writeln!(
        w,
        "# latency: from the sender's trap to the receiver's first guest entry with the SGI in its list registers"
    )?;
    for (c, name) in COLUMNS.iter().enumerate() {
        write_cell(w, c, name, widths[c])?;
    }
    writeln!(w)?;
    for (k, r) in IpiKind::ALL.iter().zip(rows.iter()) {
        kind_cells(*k, r, h, |c, v| write_cell(w, c, v, widths[c]))?;
        writeln!(w)?;
    }
    let Some(matrix) = matrix.as_mut() else {
        return Ok(());
    };
    let mut widths = MATRIX_COLUMNS.map(str::len);
    matrix(&mut |cell| {
        matrix_cells(cell, |c, v| {
            widths[c] = widths[c].max(display_len(v));
            Ok(())
        })
    })?;
    writeln!(w)?;
    writeln!(w, "# matrix: a line per sender and receiver with latencies")?;
    for (c, name) in MATRIX_COLUMNS.iter().enumerate() {
        write_cell(w, c, name, widths[c])?;
    }
    writeln!(w)?;
    matrix(&mut |cell| {
        matrix_cells(cell, |c, v| write_cell(w, c, v, widths[c]))?;
        writeln!(w)
    })
}
