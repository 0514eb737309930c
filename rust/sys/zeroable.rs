// SPDX-License-Identifier: GPL-2.0

//! The pure layer's types that the module allocates zeroed: all-zero
//! memory is a valid, empty value of each (integers and atomics only, and
//! the pure layer documents that contract on each).

use crate::pure::breakdown::KeyTable;
use crate::pure::breakdown_sums::KeyedSums;
use crate::pure::host_irq::IrqNames;
use crate::pure::ipi::IpiTable;
use crate::pure::ipi_file::IpiSums;
use crate::pure::totals::Totals;
use kernel::init::Zeroable;

// SAFETY: integers only: all-zero is empty totals.
unsafe impl Zeroable for Totals {}
// SAFETY: integers only (a free key is 0): all-zero is an empty sum.
unsafe impl Zeroable for KeyedSums {}
// SAFETY: atomics only: all-zero is an empty table of reset epoch 0.
unsafe impl Zeroable for KeyTable {}
// SAFETY: atomics only: all-zero is an empty inbox and table.
unsafe impl Zeroable for IpiTable {}
// SAFETY: integers only: all-zero is empty sums.
unsafe impl Zeroable for IpiSums {}
// SAFETY: atomics only (a free slot's IRQ is 0): all-zero is an empty
// table.
unsafe impl Zeroable for IrqNames {}
