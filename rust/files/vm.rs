// SPDX-License-Identifier: GPL-2.0

//! A VM's files: `summary` and `reset`, on its entry.

use super::{add_ipi_kinds, breakdown, done, ipi_cells, ipi_state, ipi_sums, keyed_sums, scratch};
use crate::entries::{VcpuNode, VmEntry, VM_FILES};
use crate::profiler::clock as clocks;
use crate::profiler::{breakdowns_on, irq_label, with_links};
use crate::pure::breakdown_file::write_breakdown;
use crate::pure::command::parse_vm_reset;
use crate::pure::el2::El2Counts;
use crate::pure::exit_type::ExitType;
use crate::pure::ipi_file::write_ipi;
use crate::pure::table::{self, Forwarded, Header, RowSummary, Scope};
use crate::pure::totals::sum_row;
use crate::sys::clock;
use crate::sys::debugfs::{FileSpec, ReadOnly, SeqFile, Show, Store, WriteOnly};
use kernel::{c_str, prelude::*};

/// The files of a VM's directory.
pub(crate) const FILES: [FileSpec<VmEntry>; VM_FILES] = [
    FileSpec {
        name: c_str!("summary"),
        ops: &ReadOnly::<Summary>::OPS,
    },
    FileSpec {
        name: c_str!("reset"),
        ops: &WriteOnly::<Reset>::OPS,
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

/// The VM's vCPUs, aggregated.
pub(crate) struct Summary;
/// Write 1: empty the VM's tables.
pub(crate) struct Reset;

impl Show for Summary {
    type Data = VmEntry;

    fn show(vm: &VmEntry, out: &mut SeqFile<'_>) -> Result {
        let mut s = scratch()?;
        let s = &mut *s;
        // One pass under the VM's lock: every row covers the same vCPUs.
        let (vcpus, el2, forwarded) = vm.with_vcpus(|vcpus| {
            for t in ExitType::ALL {
                let recorders = vcpus.iter().map(|v| &v.get().recorder);
                let stats = sum_row(t, recorders, &mut s.buckets, &mut s.more);
                s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
            }
            let mut forwarded = Forwarded::default();
            for v in vcpus.iter() {
                forwarded.add(v.get().recorder.forwarded());
            }
            (vcpus.len() as u64, el2_sum(vcpus), forwarded)
        });
        let header = vm_header("summary", vm, vcpus);
        done(table::write_stats(out, &header, &s.rows, &forwarded, &el2))
    }
}

/// What `vcpus` counted at EL2.
fn el2_sum(vcpus: &[VcpuNode]) -> El2Counts {
    with_links(|links| {
        let mut sum = El2Counts::default();
        for v in vcpus {
            sum.add(&v.get().el2(links));
        }
        sum
    })
    .unwrap_or_default()
}

impl Store for Reset {
    type Data = VmEntry;

    fn store(vm: &VmEntry, input: &[u8]) -> Result {
        if !parse_vm_reset(input) {
            return Err(EINVAL);
        }
        vm.reset();
        vm.with_vcpus(|vcpus| {
            with_links(|links| vcpus.iter().for_each(|v| v.get().reset_el2(links)))
        });
        Ok(())
    }
}

/// Breakdown `B` of the VM's vCPUs (see `breakdown`).
pub(crate) struct BreakdownFile<const B: usize>;

impl<const B: usize> Show for BreakdownFile<B> {
    type Data = VmEntry;

    fn show(vm: &VmEntry, out: &mut SeqFile<'_>) -> Result {
        let b = breakdown::<B>();
        let mut sums = keyed_sums()?;
        let mut s = scratch()?;
        let vcpus = vm.with_vcpus(|vcpus| {
            for v in vcpus {
                let e = v.get();
                if let Some(t) = e.table(b) {
                    sums.absorb(&e.recorder, t, &mut s.buckets);
                }
            }
            vcpus.len() as u64
        });
        let header = vm_header(b.name(), vm, vcpus);
        let on = breakdowns_on() & b.bit() != 0;
        done(write_breakdown(out, &header, b, on, &sums, &irq_label))
    }
}

/// The SGIs between the VM's vCPUs: latency by kind, and the sender x
/// receiver matrix.
pub(crate) struct Ipi;

impl Show for Ipi {
    type Data = VmEntry;

    fn show(vm: &VmEntry, out: &mut SeqFile<'_>) -> Result {
        let mut sums = ipi_sums()?;
        let mut s = scratch()?;
        let (on, why_not) = ipi_state();
        // Under the VM's lock, as the summary: its vCPUs stay placed.
        vm.with_vcpus(|vcpus| {
            for v in vcpus {
                add_ipi_kinds(v.get(), &mut sums, &mut s.buckets);
            }
            let header = vm_header("ipi", vm, vcpus.len() as u64);
            let mut matrix = |f: &mut dyn FnMut(&_) -> core::fmt::Result| {
                vcpus
                    .iter()
                    .try_for_each(|v| ipi_cells(v.get(), &mut s.more, &mut *f))
            };
            done(write_ipi(
                out,
                &header,
                on,
                why_not,
                &sums,
                Some(&mut matrix),
            ))
        })
    }
}

/// The header of a file of kind `kind` covering `vm`'s `vcpus` vCPUs.
fn vm_header<'a>(kind: &'a str, vm: &'a VmEntry, vcpus: u64) -> Header<'a> {
    Header {
        kind,
        scope: Scope::Vm {
            vm: vm.name.as_str(),
            vcpus,
        },
        clock: clocks::in_use(),
        interval: clock::now().saturating_sub(vm.reset_at()),
    }
}
