// SPDX-License-Identifier: GPL-2.0

//! The files at the root: `summary`, on the tree, and `control`, on the
//! profiler.

use super::{add_ipi_kinds, breakdown, done, ipi_state, ipi_sums, keyed_sums, scratch};
use crate::profiler::clock as clocks;
use crate::profiler::{breakdowns_on, irq_label, with_links, Profiler, Tree};
use crate::pure::breakdown_file::write_breakdown;
use crate::pure::command::{parse_command, Command};
use crate::pure::exit_type::ExitType;
use crate::pure::ipi_file::write_ipi;
use crate::pure::row::RowStats;
use crate::pure::table::{self, Forwarded, Header, RowSummary, Scope};
use crate::pure::totals::add_buckets;
use crate::registry::Registry;
use crate::sys::clock;
use crate::sys::debugfs::{FileSpec, ReadOnly, ReadWrite, SeqFile, Show, Store};
use kernel::{c_str, prelude::*};

pub(crate) const SUMMARY: FileSpec<Tree> = FileSpec {
    name: c_str!("summary"),
    ops: &ReadOnly::<Summary>::OPS,
};

/// The root's files on the tree: the global summary and breakdowns.
pub(crate) const TREE_FILES: [FileSpec<Tree>; 7] = [
    SUMMARY,
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

pub(crate) const CONTROL: FileSpec<Profiler> = FileSpec {
    name: c_str!("control"),
    ops: &ReadWrite::<Control>::OPS,
};

/// Every VM since the last reset, live and destroyed, aggregated.
pub(crate) struct Summary;
/// State, clock and counters; commands.
pub(crate) struct Control;

impl Show for Summary {
    type Data = Tree;

    fn show(tree: &Tree, out: &mut SeqFile<'_>) -> Result {
        let mut s = scratch()?;
        let s = &mut *s;
        // Under the registry's lock: no vCPU is placed or retired meanwhile,
        // so that every row covers the same vCPUs.
        let reg = tree.registry();
        let mut vcpus = 0;
        for t in ExitType::ALL {
            let mut stats = RowStats::default();
            s.buckets.fill(0);
            vcpus = 0;
            reg.for_each_in_use(|e| {
                stats.merge(&e.recorder.read_row(t, &mut s.more));
                add_buckets(&mut s.buckets, &s.more);
                vcpus += 1;
            });
            s.more.fill(0);
            reg.add_retired_row(t, &mut stats, &mut s.more);
            add_buckets(&mut s.buckets, &s.more);
            s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
        }
        let mut forwarded = Forwarded::default();
        reg.for_each_in_use(|e| forwarded.add(e.recorder.forwarded()));
        let mut el2 = reg.retired_el2();
        reg.for_each_group(|group| {
            with_links(|links| group.for_each(|e| el2.add(&e.el2(links))));
        });
        let header = all_header("summary", &reg, vcpus);
        drop(reg);
        done(table::write_stats(out, &header, &s.rows, &forwarded, &el2))
    }
}

impl Show for Control {
    type Data = Profiler;

    fn show(profiler: &Profiler, out: &mut SeqFile<'_>) -> Result {
        done(table::write_control(
            out,
            &profiler.status(),
            &profiler.clock(),
        ))
    }
}

impl Store for Control {
    type Data = Profiler;

    fn store(profiler: &Profiler, input: &[u8]) -> Result {
        match parse_command(input).ok_or(EINVAL)? {
            Command::Reset => {
                profiler.reset();
                Ok(())
            }
            Command::Enable => profiler.set_enabled(true),
            Command::Disable => profiler.set_enabled(false),
            Command::Clock(kind) => profiler.set_clock(kind),
            Command::Breakdown(b, on) => profiler.set_breakdown(b, on),
        }
    }
}

/// Breakdown `B` of every VM since the last reset (see `breakdown`).
pub(crate) struct BreakdownFile<const B: usize>;

impl<const B: usize> Show for BreakdownFile<B> {
    type Data = Tree;

    fn show(tree: &Tree, out: &mut SeqFile<'_>) -> Result {
        let b = breakdown::<B>();
        let mut sums = keyed_sums()?;
        let mut s = scratch()?;
        // Under the registry's lock, as the summary.
        let reg = tree.registry();
        let mut vcpus = 0;
        reg.for_each_in_use(|e| {
            if let Some(t) = e.table(b) {
                sums.absorb(&e.recorder, t, &mut s.buckets);
            }
            vcpus += 1;
        });
        reg.add_retired_keyed(b, &mut sums);
        let header = all_header(b.name(), &reg, vcpus);
        drop(reg);
        let on = breakdowns_on() & b.bit() != 0;
        done(write_breakdown(out, &header, b, on, &sums, &irq_label))
    }
}

/// Every VM's SGI latencies by kind, destroyed VMs' included (the matrix
/// is in each VM's file).
pub(crate) struct Ipi;

impl Show for Ipi {
    type Data = Tree;

    fn show(tree: &Tree, out: &mut SeqFile<'_>) -> Result {
        let mut sums = ipi_sums()?;
        let mut s = scratch()?;
        let reg = tree.registry();
        let mut vcpus = 0;
        reg.for_each_in_use(|e| {
            add_ipi_kinds(e, &mut sums, &mut s.buckets);
            vcpus += 1;
        });
        reg.add_retired_ipi(&mut sums);
        let header = all_header("ipi", &reg, vcpus);
        drop(reg);
        let (on, why_not) = ipi_state();
        done(write_ipi(out, &header, on, why_not, &sums, None))
    }
}

/// The header of a file of kind `kind` covering every VM, of which `reg`
/// is the bookkeeping and `vcpus` the vCPUs in use.
fn all_header<'a>(kind: &'a str, reg: &Registry, vcpus: u64) -> Header<'a> {
    Header {
        kind,
        scope: Scope::All {
            live_vms: reg.live_vms(),
            destroyed_vms: reg.destroyed_vms(),
            vcpus,
        },
        clock: clocks::in_use(),
        interval: clock::now().saturating_sub(reg.reset_at()),
    }
}
