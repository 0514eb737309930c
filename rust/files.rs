// SPDX-License-Identifier: GPL-2.0

//! What each debugfs file shows or accepts (the ABI is in
//! Documentation/kvm-exit-timing.rst): one view type per file, grouped by
//! where the files live.

pub(crate) mod root;
pub(crate) mod vcpu;
pub(crate) mod vm;

use crate::entries::VcpuEntry;
use crate::profiler::TreeFiles;
use crate::pure::breakdown::{Breakdown, IPI_BIT};
use crate::pure::breakdown_sums::KeyedSums;
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
use crate::pure::ipi::{IpiKind, OTHER_SENDER};
use crate::pure::ipi_file::{Cell, IpiSums};
use crate::pure::table::RowSummary;
use kernel::{init::Zeroable, prelude::*};

/// The files each VM and vCPU gets.
pub(crate) const TREE: TreeFiles = TreeFiles {
    vm: vm::FILES,
    vcpu: vcpu::FILES,
};

/// Working memory of one read, too large for the kernel stack.
struct Scratch {
    rows: [RowSummary; ExitType::COUNT],
    buckets: [u64; BUCKETS],
    more: [u64; BUCKETS],
}

// SAFETY: integers only: all-zero is valid.
unsafe impl Zeroable for Scratch {}

fn scratch() -> Result<KBox<Scratch>> {
    Ok(KBox::init(kernel::init::zeroed(), GFP_KERNEL)?)
}

/// Breakdown `B` of `Breakdown::ALL`: each scope's file type is named
/// `BreakdownFile<B>`.
const fn breakdown<const B: usize>() -> Breakdown {
    Breakdown::ALL[B]
}

/// An empty sum of a breakdown's rows, too large for the kernel stack.
fn keyed_sums() -> Result<KVBox<KeyedSums>> {
    Ok(KVBox::init(kernel::init::zeroed(), GFP_KERNEL)?)
}

/// Empty sums of IPI latencies.
fn ipi_sums() -> Result<KBox<IpiSums>> {
    Ok(KBox::init(kernel::init::zeroed(), GFP_KERNEL)?)
}

/// Whether IPI latency is on, and why it is not timed if it cannot be.
fn ipi_state() -> (bool, Option<&'static str>) {
    let on = crate::profiler::breakdowns_on() & IPI_BIT != 0;
    let cycles = crate::profiler::clock::in_use().unit == "cycles";
    (
        on,
        cycles.then_some("it is measured on the generic counter, and the clock is cycles"),
    )
}

/// Adds receiver `e`'s latencies by kind to `sums`.
fn add_ipi_kinds(e: &VcpuEntry, sums: &mut IpiSums, buckets: &mut [u64; BUCKETS]) {
    if let Some(t) = e.ipi() {
        for k in IpiKind::ALL {
            buckets.fill(0);
            let stats = e.recorder.read_ipi_kind(t, k, buckets);
            sums.add(k, &stats, buckets);
        }
    }
}

/// Calls `f` on each matrix cell of receiver `e` with latencies.
fn ipi_cells(
    e: &VcpuEntry,
    scratch: &mut [u64; BUCKETS],
    f: &mut dyn FnMut(&Cell) -> core::fmt::Result,
) -> core::fmt::Result {
    let Some(t) = e.ipi() else {
        return Ok(());
    };
    for sender in 0..=OTHER_SENDER {
        let stats = e.recorder.read_ipi_sender(t, sender, scratch);
        if stats.count != 0 {
            f(&Cell {
                sender,
                receiver: e.vcpu_id(),
                stats,
            })?;
        }
    }
    Ok(())
}

/// A `fmt::Error` only means the `seq_file` buffer is full; seq_read()
/// then calls again with a larger one.
fn done(_: core::fmt::Result) -> Result {
    Ok(())
}
