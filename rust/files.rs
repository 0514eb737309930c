// SPDX-License-Identifier: GPL-2.0

//! What each debugfs file shows or accepts (the ABI is in
//! Documentation/kvm-exit-timing.rst): one view type per file, grouped by
//! where the files live.

pub(crate) mod root;
pub(crate) mod vcpu;
pub(crate) mod vm;

use crate::profiler::TreeFiles;
use crate::pure::breakdown::Breakdown;
use crate::pure::breakdown_sums::KeyedSums;
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
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

/// A `fmt::Error` only means the `seq_file` buffer is full; seq_read()
/// then calls again with a larger one.
fn done(_: core::fmt::Result) -> Result {
    Ok(())
}
