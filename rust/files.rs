// SPDX-License-Identifier: GPL-2.0

//! What each debugfs file shows or accepts (the ABI is in
//! Documentation/kvm-exit-timing.rst).

use crate::clock;
use crate::debugfs::{SeqFile, Show, Store};
use crate::entries::{HistogramView, StatsView, VcpuEntry, VmEntry, VmResetView, VmSummaryView};
use crate::profiler::{Profiler, SummaryView};
use crate::pure::command::{parse_command, parse_vm_reset, Command};
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
use crate::pure::table::{self, Header, RowSummary, Scope};
use crate::pure::totals::{add_buckets, sum_row};
use core::sync::atomic::Ordering;
use kernel::{init::Zeroable, prelude::*};

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

/// A `fmt::Error` only means the `seq_file` buffer is full; seq_read()
/// then calls again with a larger one.
fn done(_: core::fmt::Result) -> Result {
    Ok(())
}

impl VcpuEntry {
    /// This vCPU's VM and header parts; files exist only once placed.
    fn vm_entry(&self) -> &VmEntry {
        // SAFETY: the worker sets the VM before creating the entry's files,
        // and frees the VM only after removing them.
        unsafe { &*self.vm() }
    }

    fn header<'a>(&self, kind: &'a str, vm: &'a VmEntry) -> Header<'a> {
        // SAFETY: the profiler outlives every file.
        let profiler = unsafe { &*vm.profiler };
        Header {
            kind,
            scope: Scope::Vcpu {
                vm: vm.name.as_str(),
                vcpu: self.vcpu_id(),
            },
            clock: profiler.clock,
            interval: clock::now().saturating_sub(self.recorder.reset_at()),
        }
    }
}

impl Show for StatsView {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        let e = &self.0;
        let vm = e.vm_entry();
        let mut s = scratch()?;
        let s = &mut *s;
        for t in ExitType::ALL {
            let stats = e.recorder.read_row(t, &mut s.buckets);
            s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
        }
        done(table::write_stats(out, &e.header("stats", vm), &s.rows))
    }
}

impl Show for HistogramView {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        let e = &self.0;
        let vm = e.vm_entry();
        let mut s = scratch()?;
        done(table::write_histogram(
            out,
            &e.header("histogram", vm),
            &mut s.buckets,
            |t, b| e.recorder.read_row(t, b),
        ))
    }
}

impl Show for VmSummaryView {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        let vm = &self.0;
        // SAFETY: the profiler outlives every file.
        let profiler = unsafe { &*vm.profiler };
        let mut s = scratch()?;
        let s = &mut *s;
        let vcpus = {
            let reg = profiler.registry.lock();
            let Some(slot) = reg.vms.iter().find(|v| core::ptr::eq(&*v.vm, vm)) else {
                // Retired while this read waited: its directory is going.
                return Err(ENOENT);
            };
            for t in ExitType::ALL {
                let stats = sum_row(
                    t,
                    slot.entries().map(|e| &e.recorder),
                    &mut s.buckets,
                    &mut s.more,
                );
                s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
            }
            slot.vcpus.len() as u64
        };
        let header = Header {
            kind: "summary",
            scope: Scope::Vm {
                vm: vm.name.as_str(),
                vcpus,
            },
            clock: profiler.clock,
            interval: clock::now().saturating_sub(vm.reset_at.load(Ordering::Relaxed)),
        };
        done(table::write_stats(out, &header, &s.rows))
    }
}

impl Store for VmResetView {
    fn store(&self, input: &[u8]) -> Result {
        if !parse_vm_reset(input) {
            return Err(EINVAL);
        }
        let vm = &self.0;
        // SAFETY: the profiler outlives every file.
        unsafe { &*vm.profiler }.reset_vm(vm);
        Ok(())
    }
}

impl Show for SummaryView {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        let profiler = &self.0;
        let mut s = scratch()?;
        let s = &mut *s;
        let (live_vms, destroyed_vms, vcpus, reset_at) = {
            let reg = profiler.registry.lock();
            for t in ExitType::ALL {
                let mut stats = sum_row(
                    t,
                    reg.in_use().map(|e| &e.recorder),
                    &mut s.buckets,
                    &mut s.more,
                );
                s.more.fill(0);
                reg.retired.add_row_to(t, &mut stats, &mut s.more);
                add_buckets(&mut s.buckets, &s.more);
                s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
            }
            (
                reg.vms.iter().filter(|v| !v.closing()).count() as u64,
                reg.destroyed_vms,
                reg.in_use().count() as u64,
                reg.reset_at,
            )
        };
        let header = Header {
            kind: "summary",
            scope: Scope::All {
                live_vms,
                destroyed_vms,
                vcpus,
            },
            clock: profiler.clock,
            interval: clock::now().saturating_sub(reset_at),
        };
        done(table::write_stats(out, &header, &s.rows))
    }
}

impl Show for Profiler {
    fn show(&self, out: &mut SeqFile<'_>) -> Result {
        done(table::write_control(out, &self.status(), &self.clock))
    }
}

impl Store for Profiler {
    fn store(&self, input: &[u8]) -> Result {
        match parse_command(input).ok_or(EINVAL)? {
            Command::Reset => {
                self.reset_all();
                Ok(())
            }
            Command::Enable => self.set_enabled(true),
            Command::Disable => self.set_enabled(false),
        }
    }
}
