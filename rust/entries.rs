// SPDX-License-Identifier: GPL-2.0

//! The module's per-vCPU and per-VM objects, as the probes, the files and
//! the worker share them.
//!
//! A [`VcpuEntry`] is linked to its vCPU through `vcpu->arch.exit_timing`
//! while it is `Attached` or `Live`. Linking and unlinking take
//! [`VcpuLinks`], which lives inside the pool's lock: holding `&mut
//! VcpuLinks` proves that lock is held, and with it that an `Attached` or
//! `Live` entry's vCPU is alive (its destruction marks the entry `Dead`
//! under that lock).

mod breakdowns;
mod el2;

use crate::pure::breakdown::{Breakdown, KeyTable};
use crate::pure::el2::{El2Counts, El2Row};
use crate::pure::ipi::IpiTable;
use crate::pure::recorder::VcpuRecorder;
use crate::sys::clock;
use crate::sys::debugfs::Files;
use crate::sys::kvm::{RunningVcpu, Vcpu, VmId, VmName};
use crate::sys::once_box::OnceBox;
use core::ffi::c_void;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::{bindings, init::Zeroable, new_mutex, prelude::*, sync::Mutex};

/// Where a [`VcpuEntry`] is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Status {
    /// Allocated, waiting in the pool.
    Free = 0,
    /// Given to a vCPU by a probe; the worker has not placed it in a VM.
    Attached,
    /// In a VM, with its files.
    Live,
    /// Its vCPU was destroyed; the worker will retire it.
    Dead,
    /// No vCPU points to it any more (the module is unloading).
    Detached,
}

/// The right to link entries to vCPUs and to unlink them. One exists at a
/// time, and the pool keeps it inside its lock (see the module doc).
pub(crate) struct VcpuLinks(());

/// Whether the one [`VcpuLinks`] exists.
static LINKS_CLAIMED: AtomicBool = AtomicBool::new(false);

impl VcpuLinks {
    /// The right, unless someone holds it already.
    pub(crate) fn claim() -> Option<VcpuLinks> {
        (!LINKS_CLAIMED.swap(true, Ordering::AcqRel)).then_some(VcpuLinks(()))
    }
}

impl Drop for VcpuLinks {
    fn drop(&mut self) {
        LINKS_CLAIMED.store(false, Ordering::Release);
    }
}

/// One vCPU's timing, reached from `vcpu->arch.exit_timing`. Only atomics
/// and the recorder, so that probes, files and the worker share it
/// through `&`. Allocated zeroed: all-zero is a free entry.
#[repr(C)]
pub(crate) struct VcpuEntry {
    pub(crate) recorder: VcpuRecorder,
    status: AtomicU8,
    /// The vCPU while `Attached` or `Live`.
    vcpu: AtomicPtr<bindings::kvm_vcpu>,
    /// Copied from the vCPU when it is attached.
    vm: AtomicU64,
    vcpu_id: AtomicU32,
    vm_name: [AtomicU64; VM_NAME_WORDS],
    /// KVM's counts of traps handled at EL2 when timing began or was last
    /// reset while the vCPU is linked; once it is dead, what it counted
    /// since. Accessed only with [`VcpuLinks`] held, which keeps a linked
    /// vCPU alive while it is read.
    el2: [AtomicU64; El2Row::COUNT],
    /// Its breakdown tables, made when a breakdown is first switched on
    /// while the entry exists (or when it is made, if one is on then).
    tables: [OnceBox<KeyTable>; Breakdown::COUNT],
    /// Its IPI latencies as a receiver, made as the tables.
    ipi: OnceBox<IpiTable>,
}

/// A `VmName`'s 32 bytes (at most 31 of text), eight to a word, NUL-padded.
const VM_NAME_WORDS: usize = 4;

// SAFETY: every field is valid all-zero (atomics, and a recorder whose
// all-zero state is documented as empty).
unsafe impl Zeroable for VcpuEntry {}

impl VcpuEntry {
    /// The entry linked to `vcpu`, if any: the per-event lookup.
    #[inline(always)]
    pub(crate) fn of(vcpu: &Vcpu) -> Option<&VcpuEntry> {
        Self::linked(vcpu, |link| link.load(Ordering::Acquire))
    }

    /// The entry `op` finds in `vcpu`'s link.
    #[inline(always)]
    fn linked<'a>(
        vcpu: &'a Vcpu,
        op: impl FnOnce(&AtomicPtr<c_void>) -> *mut c_void,
    ) -> Option<&'a VcpuEntry> {
        let p = op(vcpu.exit_timing());
        // SAFETY: a non-null link points to an entry, which is freed only
        // after it was unlinked (by `detach`, or when the vCPU is
        // destroyed) and every probe that could have read the link
        // returned; so it outlives this borrow of its live vCPU.
        unsafe { p.cast::<VcpuEntry>().as_ref() }
    }

    pub(crate) fn status(&self) -> Status {
        match self.status.load(Ordering::Acquire) {
            0 => Status::Free,
            1 => Status::Attached,
            2 => Status::Live,
            3 => Status::Dead,
            _ => Status::Detached,
        }
    }

    fn set_status(&self, s: Status) {
        self.status.store(s as u8, Ordering::Release);
    }

    /// Links this free entry to `vcpu`, from the vCPU's own thread: timing
    /// starts at `now`.
    pub(crate) fn attach(&self, vcpu: &RunningVcpu, now: u64, _links: &mut VcpuLinks) {
        self.recorder.set_origin(now);
        // From the vCPU's creation if this is its first exit (KVM counts
        // it after the hook): the traps handled at EL2 before it were in
        // the guest run timed with it.
        let base = if vcpu.exits() == 0 {
            El2Counts::default()
        } else {
            El2Counts::from_classes(&vcpu.hyp_exits())
        };
        self.set_el2(&base);
        self.set_vm_name(vcpu.vm_name().as_ref());
        self.vm.store(vcpu.vm().to_bits(), Ordering::Relaxed);
        self.vcpu_id.store(vcpu.id(), Ordering::Relaxed);
        self.vcpu.store(vcpu.as_ptr(), Ordering::Release);
        self.set_status(Status::Attached);
        vcpu.exit_timing().store(
            (self as *const VcpuEntry).cast_mut().cast(),
            Ordering::Release,
        );
    }

    /// `vcpu` is being destroyed: unlinks its entry, if it has one, which
    /// records an exit still pending (in the breakdowns in `on` too) and
    /// becomes `Dead`.
    pub(crate) fn unlink_destroyed<'a>(
        vcpu: &'a Vcpu,
        on: u8,
        _links: &mut VcpuLinks,
    ) -> Option<&'a VcpuEntry> {
        let e = Self::linked(vcpu, |link| {
            link.swap(core::ptr::null_mut(), Ordering::AcqRel)
        })?;
        // The recorder's one writer now: the vCPU's thread is done with it,
        // and `stop` takes `_links` too.
        e.recorder.on_destroy(e.tables(on));
        e.set_el2(&e.el2_counts(vcpu));
        e.vcpu.store(core::ptr::null_mut(), Ordering::Release);
        e.set_status(Status::Dead);
        Some(e)
    }

    /// Unlinks the entry from its vCPU, if it is linked: the module is
    /// unloading.
    pub(crate) fn detach(&self, links: &mut VcpuLinks) {
        let Some(vcpu) = self.linked_vcpu(links) else {
            return;
        };
        vcpu.exit_timing()
            .store(core::ptr::null_mut(), Ordering::Release);
        self.vcpu.store(core::ptr::null_mut(), Ordering::Release);
        self.set_status(Status::Detached);
    }

    /// Forgets a pending interval: timing stops here. Only while no timing
    /// probe can run (they are unregistered); `_links` keeps the destroy
    /// probe out.
    pub(crate) fn stop(&self, _links: &VcpuLinks) {
        self.recorder.stop();
    }

    /// `Attached` to `Live`, unless the vCPU died meanwhile.
    pub(crate) fn make_live(&self) -> bool {
        self.status
            .compare_exchange(
                Status::Attached as u8,
                Status::Live as u8,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The VM of the vCPU, as it was when attached.
    pub(crate) fn vm(&self) -> VmId {
        VmId::from_bits(self.vm.load(Ordering::Relaxed))
    }

    pub(crate) fn vcpu_id(&self) -> u32 {
        self.vcpu_id.load(Ordering::Relaxed)
    }

    /// Records the VM's name: when the entry is attached (KVM's name for
    /// the VM, if it has one), then when it is placed (the VM's name in
    /// this module's tree), before its files exist.
    pub(crate) fn set_vm_name(&self, name: Option<&VmName>) {
        let mut words = [0u64; VM_NAME_WORDS];
        let bytes = name.map_or(&b""[..], |n| n.as_str().as_bytes());
        for (i, &b) in bytes.iter().take(VM_NAME_WORDS * 8 - 1).enumerate() {
            words[i / 8] |= u64::from(b) << (8 * (i % 8));
        }
        for (a, w) in self.vm_name.iter().zip(words) {
            a.store(w, Ordering::Relaxed);
        }
    }

    /// The VM's name as recorded when the entry was attached, if any.
    pub(crate) fn vm_name(&self) -> Option<VmName> {
        let mut bytes = [0u8; VM_NAME_WORDS * 8];
        for (i, a) in self.vm_name.iter().enumerate() {
            bytes[i * 8..i * 8 + 8].copy_from_slice(&a.load(Ordering::Relaxed).to_le_bytes());
        }
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        let mut name = VmName::new();
        match core::str::from_utf8(&bytes[..len]) {
            Ok(s) if !s.is_empty() && name.write_str(s).is_ok() => Some(name),
            _ => None,
        }
    }
}

/// How many files a VM's directory has.
pub(crate) const VM_FILES: usize = 8;
/// How many files a vCPU's directory has.
pub(crate) const VCPU_FILES: usize = 8;

/// A placed vCPU: its entry, owned by its files (stats, histogram and
/// breakdowns).
pub(crate) type VcpuNode = Files<VBox<VcpuEntry>, VCPU_FILES>;

/// One VM, as its files see it. It owns its placed vCPUs.
#[pin_data]
pub(crate) struct VmEntry {
    pub(crate) id: VmId,
    pub(crate) name: VmName,
    /// Clock value of the VM's latest reset, or of its creation.
    reset_at: AtomicU64,
    #[pin]
    vcpus: Mutex<KVec<VcpuNode>>,
}

impl VmEntry {
    pub(crate) fn new(id: VmId, name: VmName) -> impl PinInit<VmEntry> {
        pin_init!(VmEntry {
            id,
            name,
            reset_at: AtomicU64::new(clock::now()),
            vcpus <- new_mutex!(KVec::new(), "VmEntry::vcpus"),
        })
    }

    pub(crate) fn reset_at(&self) -> u64 {
        self.reset_at.load(Ordering::Relaxed)
    }

    /// Empties the tables of the VM's vCPUs as of now.
    pub(crate) fn reset(&self) {
        self.reset_as_of(clock::now());
    }

    /// Empties the tables of the VM's vCPUs as of `now`.
    pub(crate) fn reset_as_of(&self, now: u64) {
        // Under the VM's lock: resets of one recorder are serialised.
        let vcpus = self.vcpus.lock();
        self.reset_at.store(now, Ordering::Relaxed);
        for v in vcpus.iter() {
            v.get().recorder.request_reset(now);
        }
    }

    /// Runs `f` on each placed vCPU's entry, under the VM's lock.
    pub(crate) fn for_each_vcpu(&self, mut f: impl FnMut(&VcpuEntry)) {
        self.with_vcpus(|vcpus| vcpus.iter().for_each(|v| f(v.get())))
    }

    /// Runs `f` on the placed vCPUs, under the VM's lock.
    pub(crate) fn with_vcpus<R>(&self, f: impl FnOnce(&[VcpuNode]) -> R) -> R {
        f(&self.vcpus.lock())
    }

    pub(crate) fn vcpu_count(&self) -> usize {
        self.vcpus.lock().len()
    }

    /// Room for one more vCPU.
    pub(crate) fn reserve_vcpu(&self) -> Result {
        Ok(self.vcpus.lock().reserve(1, GFP_KERNEL)?)
    }

    /// Adds a placed vCPU; [`Self::reserve_vcpu`] made room for it (only
    /// the worker adds vCPUs).
    pub(crate) fn add_vcpu(&self, node: VcpuNode) {
        let _ = self.vcpus.lock().push(node, GFP_KERNEL);
    }

    /// A VM starts dying with its first vCPU: it takes no new ones then,
    /// as a new VM may reuse its `struct kvm`.
    pub(crate) fn closing(&self) -> bool {
        let mut dead = false;
        self.for_each_vcpu(|e| dead |= e.status() == Status::Dead);
        dead
    }

    pub(crate) fn all_dead(&self) -> bool {
        let mut live = false;
        self.for_each_vcpu(|e| live |= e.status() != Status::Dead);
        !live
    }

    /// How much the VM's vCPU list takes, in bytes.
    pub(crate) fn vcpus_capacity(&self) -> usize {
        self.vcpus.lock().capacity()
    }
}
