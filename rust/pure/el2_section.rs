// SPDX-License-Identifier: GPL-2.0

//! The section of the exit tables that counts the traps KVM handled at
//! EL2 (see `el2.rs`).

use super::el2::{El2Counts, El2Row};
use super::table::{display_len, per_second, write_cell, Header};
use super::wide::Fixed;
use core::fmt::{self, Display, Write};

const EL2_COLUMNS: [&str; 4] = ["type", "count", "share", "count/s"];

/// Calls `cell(column, value)` for each cell of EL2 row `r`, of `traps`
/// in all.
fn el2_cells(
    r: El2Row,
    el2: &El2Counts,
    traps: u64,
    h: &Header<'_>,
    mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result,
) -> fmt::Result {
    let n = el2.get(r);
    cell(0, &r.name())?;
    cell(1, &n)?;
    cell(2, &Percent(Fixed::ratio(n as u128 * 100, traps as u128, 2)))?;
    cell(3, &per_second(n as u128, h))
}

/// A percentage: a number with a `%` sign.
struct Percent(Fixed);

impl Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = super::text_buf::TextBuf::<48>::new();
        write!(s, "{}%", self.0)?;
        f.pad(s.as_str())
    }
}

/// The EL2 section: a blank line, its header lines, its column names, one
/// line per [`El2Row`]. A row's share is of every trap, those that reached
/// the host (`to_host`) and those handled at EL2.
pub(crate) fn write(
    w: &mut impl Write,
    h: &Header<'_>,
    el2: &El2Counts,
    to_host: u64,
) -> fmt::Result {
    let at_el2 = el2.total();
    let traps = to_host.saturating_add(at_el2);
    let mut widths = EL2_COLUMNS.map(str::len);
    for r in El2Row::ALL {
        el2_cells(r, el2, traps, h, |c, v| {
            widths[c] = widths[c].max(display_len(v));
            Ok(())
        })?;
    }
    writeln!(w)?;
    writeln!(
        w,
        "# el2: traps handled at EL2, which re-entered the guest (counted, not timed)"
    )?;
    writeln!(
        w,
        "# traps: {traps} ({to_host} to the host, {at_el2} at EL2)"
    )?;
    for (c, name) in EL2_COLUMNS.iter().enumerate() {
        write_cell(w, c, name, widths[c])?;
    }
    writeln!(w)?;
    for r in El2Row::ALL {
        el2_cells(r, el2, traps, h, |c, v| write_cell(w, c, v, widths[c]))?;
        writeln!(w)?;
    }
    Ok(())
}
