// SPDX-License-Identifier: GPL-2.0

//! The bookkeeping behind the debugfs tree: every entry the module
//! allocated, the VMs they belong to, their directories, and what
//! destroyed VMs left behind. Guarded by the profiler's registry mutex;
//! never touched by probes.

use crate::debugfs::Dir;
use crate::entries::{Status, VcpuEntry, VmEntry};
use crate::kvec_ext::VecExt;
use crate::kvm::RawVm;
use crate::memory::{kmalloc_bytes, vmalloc_bytes};
use crate::pure::histogram::BUCKETS;
use crate::pure::table::Memory;
use crate::pure::totals::Totals;
use core::mem::size_of;
use kernel::prelude::*;

/// A vCPU placed in a VM, with its directory.
pub(crate) struct VcpuSlot {
    pub(crate) entry: *const VcpuEntry,
    pub(crate) dir: Option<Dir>,
}

/// A VM with the vCPUs timed in it.
pub(crate) struct VmSlot {
    pub(crate) vm: KBox<VmEntry>,
    pub(crate) dir: Option<Dir>,
    pub(crate) vcpus: KVec<VcpuSlot>,
}

impl VmSlot {
    /// Its vCPUs' entries.
    pub(crate) fn entries(&self) -> impl Iterator<Item = &VcpuEntry> + '_ {
        // SAFETY: a placed entry is freed only after its VM slot is
        // removed from the registry, which `&self` prevents.
        self.vcpus.iter().map(|v| unsafe { &*v.entry })
    }

    /// A VM starts dying with its first vCPU: it takes no new ones then,
    /// as a new VM may reuse its `struct kvm`.
    pub(crate) fn closing(&self) -> bool {
        self.entries().any(|e| e.status() == Status::Dead)
    }

    pub(crate) fn all_dead(&self) -> bool {
        self.entries().all(|e| e.status() == Status::Dead)
    }
}

pub(crate) struct Registry {
    /// The debugfs root; `None` once unloading started.
    pub(crate) root: Option<Dir>,
    /// Every entry allocated, whatever its status.
    pub(crate) entries: KVec<VBox<VcpuEntry>>,
    pub(crate) vms: KVec<VmSlot>,
    /// What VMs destroyed since the last reset recorded.
    pub(crate) retired: KVBox<Totals>,
    pub(crate) retired_unpaired: u64,
    pub(crate) destroyed_vms: u64,
    /// Clock value of the last global reset, or of the module load.
    pub(crate) reset_at: u64,
    /// Numbers VMs that have no KVM debugfs name.
    pub(crate) vms_seen: u64,
    /// Working space for folding entries into `retired`.
    pub(crate) scratch: KBox<[u64; BUCKETS]>,
}

// SAFETY: the raw pointers point to entries the registry owns; access is
// serialised by the mutex around it.
unsafe impl Send for Registry {}

// SAFETY: integers only: all-zero is empty totals.
unsafe impl kernel::init::Zeroable for Totals {}

impl Registry {
    pub(crate) fn new(reset_at: u64) -> Result<Registry> {
        Ok(Registry {
            root: None,
            entries: KVec::new(),
            vms: KVec::new(),
            retired: KVBox::init(kernel::init::zeroed(), GFP_KERNEL)?,
            retired_unpaired: 0,
            destroyed_vms: 0,
            reset_at,
            vms_seen: 0,
            scratch: KBox::init(kernel::init::zeroed(), GFP_KERNEL)?,
        })
    }

    /// The VM slot for `kvm` that still takes vCPUs.
    pub(crate) fn vm_for(&self, kvm: RawVm) -> Option<usize> {
        self.vms
            .iter()
            .position(|v| v.vm.kvm == kvm && !v.closing())
    }

    /// Takes entry `e` out of `entries`.
    pub(crate) fn take_entry(&mut self, e: *const VcpuEntry) -> Option<VBox<VcpuEntry>> {
        let i = self.entries.iter().position(|b| core::ptr::eq(&**b, e))?;
        Some(self.entries.swap_remove(i))
    }

    /// Adds what `e` recorded to the destroyed VMs' totals.
    pub(crate) fn fold(&mut self, e: &VcpuEntry) {
        self.retired.absorb(&e.recorder, &mut self.scratch);
        self.retired_unpaired += e.recorder.anomalies().unpaired;
    }

    /// What the registry and everything it owns take, in bytes (debugfs's
    /// own dentries and inodes aside). The entries are vmalloc'ed: whole
    /// pages, no high-order allocation for each vCPU.
    pub(crate) fn memory(&self) -> Memory {
        let per_vcpu = vmalloc_bytes(size_of::<VcpuEntry>());
        let per_vm = kmalloc_bytes(size_of::<VmEntry>());
        let slots: usize = self
            .vms
            .iter()
            .map(|v| kmalloc_bytes(v.vcpus.capacity() * size_of::<VcpuSlot>()))
            .sum();
        let total = self.entries.len() * per_vcpu
            + self.vms.len() * per_vm
            + slots
            + kmalloc_bytes(self.entries.capacity() * size_of::<usize>())
            + kmalloc_bytes(self.vms.capacity() * size_of::<VmSlot>())
            + kmalloc_bytes(size_of::<Totals>())
            + kmalloc_bytes(size_of::<[u64; BUCKETS]>());
        Memory {
            total: total as u64,
            per_vcpu: per_vcpu as u64,
            per_vm: per_vm as u64,
        }
    }

    /// Entries a vCPU uses now (not free in the pool, not detached).
    pub(crate) fn in_use(&self) -> impl Iterator<Item = &VcpuEntry> + '_ {
        self.entries
            .iter()
            .map(|b| &**b)
            .filter(|e| matches!(e.status(), Status::Attached | Status::Live | Status::Dead))
    }
}
