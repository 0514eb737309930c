// SPDX-License-Identifier: GPL-2.0

//! Host tests of the module's pure files, one file per module.

mod bench;
mod breakdown;
mod classify;
mod command;
mod exit_type;
mod histogram;
mod host_irq;
mod ipi;
mod rate;
mod recorder;
mod row;
mod table;
mod totals;
mod wide;

use crate::pure::recorder::VcpuRecorder;
use crate::pure::table::Clock;
use std::boxed::Box;

/// The clock of the files the tests write: a counter at 1 kHz.
pub(crate) const TEST_COUNTER: Clock = Clock {
    name: "test counter",
    unit: "ticks",
    hz: 1000,
    source: "CNTFRQ_EL0",
    counter_hz: 1000,
};

/// A recorder as the kernel allocates it: zeroed memory.
pub(crate) fn new_recorder() -> Box<VcpuRecorder> {
    // SAFETY: all-zero memory is a valid, empty `VcpuRecorder` (its
    // documented allocation contract).
    unsafe { Box::<VcpuRecorder>::new_zeroed().assume_init() }
}
