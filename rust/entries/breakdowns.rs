// SPDX-License-Identifier: GPL-2.0

//! A vCPU entry's breakdown tables and IPI state, made in process context
//! when a breakdown is switched on (or when the entry is made, if one is
//! on then) and freed with the entry.

use super::VcpuEntry;
use crate::pure::breakdown::{Breakdown, KeyTable, Tables, IPI_BIT};
use crate::pure::ipi::IpiTable;
use kernel::prelude::*;

impl VcpuEntry {
    /// The tables this entry has, with the breakdowns `on` (a set of
    /// `Breakdown::bit`s).
    #[inline(always)]
    pub(crate) fn tables(&self, on: u8) -> Tables<'_> {
        Tables {
            tables: core::array::from_fn(|b| self.tables[b].get()),
            on,
        }
    }

    /// Its table for breakdown `b`, if it has one.
    pub(crate) fn table(&self, b: Breakdown) -> Option<&KeyTable> {
        self.tables[b as usize].get()
    }

    /// Gives the entry a table for `b` unless it has one: a vmalloc of
    /// about 32 KB, in process context.
    pub(crate) fn add_table(&self, b: Breakdown) -> Result {
        if !self.tables[b as usize].is_set() {
            let t = VBox::<KeyTable>::init(kernel::init::zeroed(), GFP_KERNEL)?;
            self.tables[b as usize].set(t);
        }
        Ok(())
    }

    /// Its IPI table, if it has one.
    #[inline(always)]
    pub(crate) fn ipi(&self) -> Option<&IpiTable> {
        self.ipi.get()
    }

    /// Gives the entry an IPI table unless it has one (about 12 KB).
    pub(crate) fn add_ipi(&self) -> Result {
        if !self.ipi.is_set() {
            self.ipi
                .set(VBox::<IpiTable>::init(kernel::init::zeroed(), GFP_KERNEL)?);
        }
        Ok(())
    }

    /// Gives the entry what the breakdowns in `on` need.
    pub(crate) fn add_breakdowns(&self, on: u8) -> Result {
        for b in Breakdown::ALL {
            if on & b.bit() != 0 {
                self.add_table(b)?;
            }
        }
        if on & IPI_BIT != 0 {
            self.add_ipi()?;
        }
        Ok(())
    }
}
