// SPDX-License-Identifier: GPL-2.0

//! A VM's files: `summary` and `reset`, on its entry.

use super::{done, scratch};
use crate::entries::VmEntry;
use crate::profiler::clock as clocks;
use crate::pure::command::parse_vm_reset;
use crate::pure::exit_type::ExitType;
use crate::pure::table::{self, Header, RowSummary, Scope};
use crate::pure::totals::sum_row;
use crate::sys::clock;
use crate::sys::debugfs::{FileSpec, ReadOnly, SeqFile, Show, Store, WriteOnly};
use kernel::{c_str, prelude::*};

/// The files of a VM's directory.
pub(crate) const FILES: [FileSpec<VmEntry>; 2] = [
    FileSpec {
        name: c_str!("summary"),
        ops: &ReadOnly::<Summary>::OPS,
    },
    FileSpec {
        name: c_str!("reset"),
        ops: &WriteOnly::<Reset>::OPS,
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
        let vcpus = vm.with_vcpus(|vcpus| {
            for t in ExitType::ALL {
                let recorders = vcpus.iter().map(|v| &v.get().recorder);
                let stats = sum_row(t, recorders, &mut s.buckets, &mut s.more);
                s.rows[t as usize] = RowSummary::new(stats, &s.buckets);
            }
            vcpus.len() as u64
        });
        let header = Header {
            kind: "summary",
            scope: Scope::Vm {
                vm: vm.name.as_str(),
                vcpus,
            },
            clock: clocks::in_use(),
            interval: clock::now().saturating_sub(vm.reset_at()),
        };
        done(table::write_stats(out, &header, &s.rows))
    }
}

impl Store for Reset {
    type Data = VmEntry;

    fn store(vm: &VmEntry, input: &[u8]) -> Result {
        if !parse_vm_reset(input) {
            return Err(EINVAL);
        }
        vm.reset();
        Ok(())
    }
}
