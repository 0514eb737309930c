// SPDX-License-Identifier: GPL-2.0

//! The module's per-vCPU and per-VM objects, as their debugfs files and
//! the probes see them. The bookkeeping that links them lives in
//! `registry.rs`.

use crate::kvm::{RawVcpu, RawVm, VmName};
use crate::profiler::Profiler;
use crate::pure::recorder::VcpuRecorder;
use core::fmt::Write;
use core::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, AtomicU8, Ordering};
use kernel::init::Zeroable;

/// Where a [`VcpuEntry`] is in its life. Changes from `Attached` or `Live`
/// to `Dead` are made under the profiler's pool lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Status {
    /// Allocated, waiting in the pool.
    Free = 0,
    /// Given to a vCPU by a probe; the worker has not placed it in a VM.
    Attached,
    /// In a VM, with its debugfs directory.
    Live,
    /// Its vCPU was destroyed; the worker will retire it.
    Dead,
    /// No vCPU points to it any more (the module is unloading).
    Detached,
}

/// One vCPU's timing. The vCPU's `arch.exit_timing` points here. Only
/// atomics and the recorder, so that probes, files and the worker share
/// it through `&` references. Allocated zeroed: all-zero is a free entry.
#[repr(C)]
pub(crate) struct VcpuEntry {
    pub(crate) recorder: VcpuRecorder,
    status: AtomicU8,
    /// The vCPU while `Attached` or `Live`; read under the pool lock.
    vcpu: AtomicPtr<kernel::bindings::kvm_vcpu>,
    /// Set by the worker before the entry's files exist.
    vcpu_id: AtomicU32,
    vm: AtomicPtr<VmEntry>,
    /// The VM's name, copied when the entry is attached (see
    /// [`crate::kvm::vm_debugfs_name`]); empty if KVM gave the VM none.
    vm_name: [AtomicU64; VM_NAME_WORDS],
}

/// A `VmName`'s 32 bytes (at most 31 of text), eight to a word, NUL-padded.
const VM_NAME_WORDS: usize = 4;

// SAFETY: every field is valid all-zero (atomics, and a recorder whose
// all-zero state is documented as empty).
unsafe impl Zeroable for VcpuEntry {}

impl VcpuEntry {
    pub(crate) fn status(&self) -> Status {
        match self.status.load(Ordering::Acquire) {
            0 => Status::Free,
            1 => Status::Attached,
            2 => Status::Live,
            3 => Status::Dead,
            _ => Status::Detached,
        }
    }

    pub(crate) fn set_status(&self, s: Status) {
        self.status.store(s as u8, Ordering::Release);
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

    pub(crate) fn vcpu(&self) -> RawVcpu {
        self.vcpu.load(Ordering::Acquire)
    }

    pub(crate) fn set_vcpu(&self, vcpu: RawVcpu) {
        self.vcpu.store(vcpu, Ordering::Release);
    }

    pub(crate) fn vcpu_id(&self) -> u32 {
        self.vcpu_id.load(Ordering::Relaxed)
    }

    pub(crate) fn set_vcpu_id(&self, id: u32) {
        self.vcpu_id.store(id, Ordering::Relaxed);
    }

    /// Records the VM's name; before the entry is marked attached.
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

    /// The VM, once the worker placed the entry (null before).
    pub(crate) fn vm(&self) -> *const VmEntry {
        self.vm.load(Ordering::Acquire)
    }

    pub(crate) fn set_vm(&self, vm: *const VmEntry) {
        self.vm.store(vm.cast_mut(), Ordering::Release);
    }
}

/// One VM, as its files see it: fixed at creation but for `reset_at`.
pub(crate) struct VmEntry {
    /// The `struct kvm`, as an identity only: never dereferenced after the
    /// entry is created.
    pub(crate) kvm: RawVm,
    pub(crate) name: VmName,
    /// Clock value of the VM's latest reset, or of its first vCPU's attach.
    pub(crate) reset_at: AtomicU64,
    pub(crate) profiler: *const Profiler,
}

// SAFETY: `kvm` is an identity, never dereferenced; `profiler` outlives
// every entry; the rest is plain data or atomic.
unsafe impl Send for VmEntry {}
// SAFETY: as for `Send`.
unsafe impl Sync for VmEntry {}

/// A vCPU's two files show the same entry two ways.
#[repr(transparent)]
pub(crate) struct StatsView(pub(crate) VcpuEntry);
#[repr(transparent)]
pub(crate) struct HistogramView(pub(crate) VcpuEntry);
/// A VM's two files.
#[repr(transparent)]
pub(crate) struct VmSummaryView(pub(crate) VmEntry);
#[repr(transparent)]
pub(crate) struct VmResetView(pub(crate) VmEntry);
