// SPDX-License-Identifier: GPL-2.0

//! The module's debugfs files, parsed: one file per kind of file
//! (Documentation/kvm-exit-timing.rst, "The debugfs files"). Parsing is
//! strict where the layout is stable (the first line, the column names,
//! the 32 rows) and lenient where it says tools must be (header keys a
//! later version adds are kept, not refused).

pub mod breakdown;
pub mod control;
pub mod header;
pub mod histogram;
pub mod ipi;
pub mod lines;
pub mod stats;
pub mod table;

pub use breakdown::Breakdown;
pub use control::Control;
pub use histogram::Histogram;
pub use ipi::Ipi;
pub use stats::{Fixed2, Stats};
pub use table::Table;

/// A file that does not read as its layout says, with the line (1-based)
/// where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub what: String,
}

impl ParseError {
    pub fn new(line: usize, what: impl Into<String>) -> Self {
        ParseError {
            line,
            what: what.into(),
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.what)
    }
}
