// SPDX-License-Identifier: GPL-2.0

//! The bookkeeping behind the debugfs tree: the entries not placed in a VM
//! yet, the VMs (which own their placed entries), and what destroyed VMs
//! left behind. The worker and the files reach it through the tree's
//! `registry` lock; probes never do.

use crate::entries::{Status, VcpuEntry, VmEntry, VM_FILES};
use crate::pure::breakdown::{Breakdown, KeyTable};
use crate::pure::breakdown_sums::KeyedSums;
use crate::pure::el2::El2Counts;
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
use crate::pure::ipi::{IpiKind, IpiTable};
use crate::pure::ipi_file::IpiSums;
use crate::pure::row::RowStats;
use crate::pure::table::Memory;
use crate::pure::totals::Totals;
use crate::sys::debugfs::{Dir, Files};
use crate::sys::kvm::VmId;
use crate::sys::memory::{kmalloc_bytes, vmalloc_bytes};
use crate::sys::vec::VecExt;
use core::mem::size_of;
use core::pin::Pin;
use kernel::prelude::*;

/// A VM: its directory (for its vCPUs' directories) and its files, which
/// own the VM's entry and, through it, its placed vCPUs.
pub(crate) struct VmSlot {
    pub(crate) dir: Option<Dir>,
    pub(crate) files: Files<Pin<KBox<VmEntry>>, VM_FILES>,
}

impl VmSlot {
    pub(crate) fn vm(&self) -> &VmEntry {
        self.files.get()
    }
}

pub(crate) struct Registry {
    /// Entries that belong to no VM: free in the pool, attached and not
    /// placed yet, dead before placement, or detached.
    entries: KVec<VBox<VcpuEntry>>,
    vms: KVec<VmSlot>,
    /// What vCPUs retired since the last reset recorded.
    retired: KVBox<Totals>,
    retired_unpaired: u64,
    /// What they counted at EL2.
    retired_el2: El2Counts,
    /// What they recorded in each breakdown, once one of them had a table.
    retired_keyed: [Option<KVBox<KeyedSums>>; Breakdown::COUNT],
    /// Their IPI latencies, once one of them had an IPI table.
    retired_ipi: Option<KBox<IpiSums>>,
    destroyed_vms: u64,
    /// Clock value of the last global reset, or of the module load.
    reset_at: u64,
    /// Numbers VMs that have no KVM debugfs name.
    vms_seen: u64,
    /// Working space for folding entries into `retired`.
    scratch: KBox<[u64; BUCKETS]>,
}

impl Registry {
    pub(crate) fn new(reset_at: u64) -> Result<Registry> {
        Ok(Registry {
            entries: KVec::new(),
            vms: KVec::new(),
            retired: KVBox::init(kernel::init::zeroed(), GFP_KERNEL)?,
            retired_unpaired: 0,
            retired_el2: El2Counts::default(),
            retired_keyed: core::array::from_fn(|_| None),
            retired_ipi: None,
            destroyed_vms: 0,
            reset_at,
            vms_seen: 0,
            scratch: KBox::init(kernel::init::zeroed(), GFP_KERNEL)?,
        })
    }

    // ---- Entries outside VMs.

    /// Keeps a new entry; fails only if memory is short.
    pub(crate) fn add_entry(&mut self, e: VBox<VcpuEntry>) -> Result<&VcpuEntry, VBox<VcpuEntry>> {
        if self.entries.reserve(1, GFP_KERNEL).is_err() {
            return Err(e);
        }
        let _ = self.entries.push(e, GFP_KERNEL);
        Ok(&self.entries.as_slice()[self.entries.len() - 1])
    }

    /// Takes entry `e` out.
    pub(crate) fn take_entry(&mut self, e: *const VcpuEntry) -> Option<VBox<VcpuEntry>> {
        let i = self.entries.iter().position(|b| core::ptr::eq(&**b, e))?;
        Some(self.entries.swap_remove(i))
    }

    /// Takes out the first entry with status `s`.
    pub(crate) fn take_with_status(&mut self, s: Status) -> Option<VBox<VcpuEntry>> {
        let i = self.entries.iter().position(|e| e.status() == s)?;
        Some(self.entries.swap_remove(i))
    }

    /// Puts back an entry taken out, without allocating.
    pub(crate) fn put_back(&mut self, e: VBox<VcpuEntry>) {
        // The entry's slot is still reserved: it was just taken out.
        let _ = self.entries.push(e, GFP_KERNEL);
    }

    /// Every entry, in VMs or not.
    pub(crate) fn for_each_entry(&self, mut f: impl FnMut(&VcpuEntry)) {
        for e in self.entries.iter() {
            f(e);
        }
        for v in self.vms.iter() {
            v.vm().for_each_vcpu(&mut f);
        }
    }

    /// Runs `f` on the entries outside VMs, then on each VM's (under the
    /// VM's lock), one group at a time: `f` may take a spinlock.
    pub(crate) fn for_each_group(&self, mut f: impl FnMut(&mut dyn Iterator<Item = &VcpuEntry>)) {
        f(&mut self.entries.iter().map(|e| &**e));
        for v in self.vms.iter() {
            v.vm()
                .with_vcpus(|vcpus| f(&mut vcpus.iter().map(|v| v.get())));
        }
    }

    /// Every entry a vCPU uses now (not free in the pool, not detached).
    pub(crate) fn for_each_in_use(&self, mut f: impl FnMut(&VcpuEntry)) {
        self.for_each_entry(|e| {
            if matches!(e.status(), Status::Attached | Status::Live | Status::Dead) {
                f(e)
            }
        })
    }

    // ---- VMs.

    /// The VM for `id` that still takes vCPUs.
    pub(crate) fn vm_for(&self, id: VmId) -> Option<&VmSlot> {
        self.vms
            .iter()
            .find(|v| v.vm().id == id && !v.vm().closing())
    }

    /// Room for one more VM.
    pub(crate) fn reserve_vm(&mut self) -> Result {
        Ok(self.vms.reserve(1, GFP_KERNEL)?)
    }

    /// Adds a VM; [`Self::reserve_vm`] made room for it.
    pub(crate) fn add_vm(&mut self, vm: VmSlot) -> &VmSlot {
        self.vms_seen += 1;
        let _ = self.vms.push(vm, GFP_KERNEL);
        &self.vms.as_slice()[self.vms.len() - 1]
    }

    /// How many VMs were seen: numbers those without a name.
    pub(crate) fn vms_seen(&self) -> u64 {
        self.vms_seen
    }

    pub(crate) fn vm_count(&self) -> usize {
        self.vms.len()
    }

    /// VMs timed now (not dying).
    pub(crate) fn live_vms(&self) -> u64 {
        self.vms.iter().filter(|v| !v.vm().closing()).count() as u64
    }

    /// Takes out a VM whose vCPUs all died, after folding them into the
    /// retired totals.
    pub(crate) fn take_dead_vm(&mut self) -> Option<VmSlot> {
        let i = self.vms.iter().position(|v| v.vm().all_dead())?;
        let vm = self.vms.swap_remove(i);
        vm.vm().for_each_vcpu(|e| {
            // Short of memory: the breakdowns' share is lost, the rest kept.
            let _ = self.fold(e);
        });
        self.destroyed_vms += 1;
        Some(vm)
    }

    /// Takes out every VM (the module is unloading).
    pub(crate) fn take_vms(&mut self) -> KVec<VmSlot> {
        core::mem::replace(&mut self.vms, KVec::new())
    }

    // ---- Totals.

    /// Adds what `e` recorded to the retired totals. Fails only if
    /// memory for its breakdowns' totals is short (those are lost).
    pub(crate) fn fold(&mut self, e: &VcpuEntry) -> Result {
        self.retired.absorb(&e.recorder, &mut self.scratch);
        self.retired_unpaired += e.recorder.anomalies().unpaired;
        self.retired_el2.add(&e.el2_final());
        let mut kept = Ok(());
        for b in Breakdown::ALL {
            if let Some(t) = e.table(b) {
                kept = kept.and(self.fold_table(b, &e.recorder, t));
            }
        }
        if let Some(t) = e.ipi() {
            kept = kept.and(self.fold_ipi(&e.recorder, t));
        }
        kept
    }

    fn fold_ipi(&mut self, recorder: &crate::pure::recorder::VcpuRecorder, t: &IpiTable) -> Result {
        let sums = match &mut self.retired_ipi {
            Some(sums) => sums,
            slot => slot.insert(KBox::init(kernel::init::zeroed(), GFP_KERNEL)?),
        };
        for k in IpiKind::ALL {
            self.scratch.fill(0);
            let stats = recorder.read_ipi_kind(t, k, &mut self.scratch);
            sums.add(k, &stats, &self.scratch);
        }
        Ok(())
    }

    /// Adds retired vCPUs' IPI latencies to `sums`.
    pub(crate) fn add_retired_ipi(&self, sums: &mut IpiSums) {
        if let Some(r) = &self.retired_ipi {
            sums.merge(r);
        }
    }

    fn fold_table(
        &mut self,
        b: Breakdown,
        recorder: &crate::pure::recorder::VcpuRecorder,
        t: &KeyTable,
    ) -> Result {
        let sums = match &mut self.retired_keyed[b as usize] {
            Some(sums) => sums,
            slot => slot.insert(KVBox::init(kernel::init::zeroed(), GFP_KERNEL)?),
        };
        sums.absorb(recorder, t, &mut self.scratch);
        Ok(())
    }

    /// Adds what retired vCPUs recorded in breakdown `b` to `sums`.
    pub(crate) fn add_retired_keyed(&self, b: Breakdown, sums: &mut KeyedSums) {
        if let Some(r) = &self.retired_keyed[b as usize] {
            sums.merge(r);
        }
    }

    /// What retired vCPUs counted at EL2 since the last reset.
    pub(crate) fn retired_el2(&self) -> El2Counts {
        self.retired_el2
    }

    /// Adds row `t` of the retired totals to `stats` and `buckets`.
    pub(crate) fn add_retired_row(
        &self,
        t: ExitType,
        stats: &mut RowStats,
        buckets: &mut [u64; BUCKETS],
    ) {
        self.retired.add_row_to(t, stats, buckets);
    }

    pub(crate) fn destroyed_vms(&self) -> u64 {
        self.destroyed_vms
    }

    pub(crate) fn reset_at(&self) -> u64 {
        self.reset_at
    }

    /// Intervals dropped for events out of order, retired vCPUs included.
    pub(crate) fn unpaired(&self) -> u64 {
        let mut n = self.retired_unpaired;
        self.for_each_in_use(|e| n = n.saturating_add(e.recorder.anomalies().unpaired));
        n
    }

    /// Empties every table and the retired totals as of `now`.
    pub(crate) fn reset(&mut self, now: u64) {
        self.reset_at = now;
        for e in self.entries.iter() {
            if matches!(e.status(), Status::Attached | Status::Dead) {
                e.recorder.request_reset(now);
            }
        }
        for v in self.vms.iter() {
            v.vm().reset_as_of(now);
        }
        self.retired.clear();
        self.retired_unpaired = 0;
        self.retired_el2 = El2Counts::default();
        self.retired_keyed = core::array::from_fn(|_| None);
        self.retired_ipi = None;
        self.destroyed_vms = 0;
    }

    /// What the registry and everything it owns take, in bytes (debugfs's
    /// own dentries, inodes and our handles on them aside). Entries are
    /// vmalloc'ed: whole pages, no high-order allocation for each vCPU.
    pub(crate) fn memory(&self) -> Memory {
        let per_vcpu = vmalloc_bytes(size_of::<VcpuEntry>());
        let per_table = vmalloc_bytes(size_of::<KeyTable>());
        let per_ipi = vmalloc_bytes(size_of::<IpiTable>());
        let mut tables = 0;
        let mut ipis = 0;
        self.for_each_entry(|e| {
            tables += Breakdown::ALL
                .iter()
                .filter(|&&b| e.table(b).is_some())
                .count();
            ipis += usize::from(e.ipi().is_some());
        });
        let retired_keyed = self.retired_keyed.iter().flatten().count();
        let per_vm = kmalloc_bytes(size_of::<VmEntry>());
        let mut vcpus = self.entries.len();
        let mut lists = 0;
        for v in self.vms.iter() {
            vcpus += v.vm().vcpu_count();
            lists += kmalloc_bytes(v.vm().vcpus_capacity() * size_of::<crate::entries::VcpuNode>());
        }
        let total = vcpus * per_vcpu
            + self.vms.len() * per_vm
            + lists
            + kmalloc_bytes(self.entries.capacity() * size_of::<usize>())
            + kmalloc_bytes(self.vms.capacity() * size_of::<VmSlot>())
            + kmalloc_bytes(size_of::<Totals>())
            + kmalloc_bytes(size_of::<[u64; BUCKETS]>())
            + tables * per_table
            + ipis * per_ipi
            + self
                .retired_ipi
                .as_ref()
                .map_or(0, |_| kmalloc_bytes(size_of::<IpiSums>()))
            + retired_keyed * vmalloc_bytes(size_of::<KeyedSums>());
        Memory {
            total: total as u64,
            per_vcpu: per_vcpu as u64,
            per_vm: per_vm as u64,
        }
    }
}
