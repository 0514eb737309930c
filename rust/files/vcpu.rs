// SPDX-License-Identifier: GPL-2.0

//! A vCPU's files: `stats` and `histogram`, on its entry.

use super::{add_ipi_kinds, breakdown, done, ipi_cells, ipi_state, ipi_sums, keyed_sums, scratch};
use crate::entries::{VcpuEntry, VCPU_FILES};
use crate::profiler::clock as clocks;
use crate::profiler::{breakdowns_on, irq_label, with_links};
use crate::pure::breakdown_file::write_breakdown;
use crate::pure::exit_type::ExitType;
use crate::pure::ipi_file::write_ipi;
use crate::pure::table::{self, Forwarded, Header, RowSummary, Scope};
use crate::sys::clock;
use crate::sys::debugfs::{FileSpec, ReadOnly, SeqFile, Show};
use crate::sys::kvm::VmName;
use kernel::{c_str, prelude::*};

/// The files of a vCPU's directory.
pub(crate) const FILES: [FileSpec<VcpuEntry>; VCPU_FILES] = [
    FileSpec {
        name: c_str!("stats"),
        ops: &ReadOnly::<Stats>::OPS,
    },
    FileSpec {
        name: c_str!("histogram"),
        ops: &ReadOnly::<Histogram>::OPS,
    },
    FileSpec {
        name: c_str!("sysregs"),
        ops: &ReadOnly::<BreakdownFile<0>>::OPS,
    },
    FileSpec {
        name: c_str!("hypercalls"),
        ops: &ReadOnly::<BreakdownFile<1>>::OPS,
    },
    FileSpec {
        name: c_str!("wfx"),
        ops: &ReadOnly::<BreakdownFile<2>>::OPS,
    },
    FileSpec {
        name: c_str!("mmio"),
        ops: &ReadOnly::<BreakdownFile<3>>::OPS,
    },
    FileSpec {
        name: c_str!("interrupts"),
        ops: &ReadOnly::<BreakdownFile<4>>::OPS,
    },
    FileSpec {
        name: c_str!("ipi"),
        ops: &ReadOnly::<Ipi>::OPS,
    },
];

/// The vCPU's exit table.
pub(crate) struct Stats;
/// Its bucket counts and percentiles.
pub(crate) struct Histogram;

/// The header of a vCPU's files: its VM, its id, the clock, the time since
/// its last reset.
fn header<'a>(kind: &'a str, e: &VcpuEntry, vm: &'a VmName) -> Header<'a> {
    Header {
        kind,
        scope: Scope::Vcpu {
            vm: vm.as_str(),
            vcpu: e.vcpu_id(),
        },
        clock: clocks::in_use(),
        interval: clock::now().saturating_sub(e.recorder.reset_at()),
    }
}

impl Show for Stats {
    type Data = VcpuEntry;

    fn show(e: &VcpuEntry, out: &mut SeqFile<'_>) -> Result {
        let vm = e.vm_name().unwrap_or_default();
        let mut s = scratch()?;
        let s = &mut *s;
        for t in ExitType::ALL {
            let stats = e.recorder.read_row(t, &mut s.buckets);
            s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
        }
        let el2 = with_links(|links| e.el2(links)).unwrap_or_default();
        let mut forwarded = Forwarded::default();
        forwarded.add(e.recorder.forwarded());
        done(table::write_stats(
            out,
            &header("stats", e, &vm),
            &s.rows,
            &forwarded,
            &el2,
        ))
    }
}

impl Show for Histogram {
    type Data = VcpuEntry;

    fn show(e: &VcpuEntry, out: &mut SeqFile<'_>) -> Result {
        let vm = e.vm_name().unwrap_or_default();
        let mut s = scratch()?;
        done(table::write_histogram(
            out,
            &header("histogram", e, &vm),
            &mut s.buckets,
            |t, b| e.recorder.read_row(t, b),
        ))
    }
}

/// Breakdown `B` of the vCPU (see `breakdown`).
pub(crate) struct BreakdownFile<const B: usize>;

impl<const B: usize> Show for BreakdownFile<B> {
    type Data = VcpuEntry;

    fn show(e: &VcpuEntry, out: &mut SeqFile<'_>) -> Result {
        let b = breakdown::<B>();
        let vm = e.vm_name().unwrap_or_default();
        let mut sums = keyed_sums()?;
        let mut s = scratch()?;
        if let Some(t) = e.table(b) {
            sums.absorb(&e.recorder, t, &mut s.buckets);
        }
        let on = breakdowns_on() & b.bit() != 0;
        done(write_breakdown(
            out,
            &header(b.name(), e, &vm),
            b,
            on,
            &sums,
            &irq_label,
        ))
    }
}

/// The SGIs this vCPU received: latency by kind and by sender.
pub(crate) struct Ipi;

impl Show for Ipi {
    type Data = VcpuEntry;

    fn show(e: &VcpuEntry, out: &mut SeqFile<'_>) -> Result {
        let vm = e.vm_name().unwrap_or_default();
        let mut sums = ipi_sums()?;
        let mut s = scratch()?;
        add_ipi_kinds(e, &mut sums, &mut s.buckets);
        let (on, why_not) = ipi_state();
        let mut matrix = |f: &mut dyn FnMut(&_) -> core::fmt::Result| ipi_cells(e, &mut s.more, f);
        done(write_ipi(
            out,
            &header("ipi", e, &vm),
            on,
            why_not,
            &sums,
            Some(&mut matrix),
        ))
    }
}
