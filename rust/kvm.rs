// SPDX-License-Identifier: GPL-2.0

//! What the module reads from KVM's `struct kvm_vcpu` and `struct kvm`.
//!
//! The tracepoints hand the probes a `struct kvm_vcpu *`; every field
//! access goes through the functions here.

use core::ffi::c_void;
use core::fmt;
use core::sync::atomic::AtomicPtr;
use kernel::bindings;

pub(crate) type RawVcpu = *mut bindings::kvm_vcpu;
pub(crate) type RawVm = *const bindings::kvm;

/// The probe-owned `vcpu->arch.exit_timing` pointer.
///
/// # Safety
/// `vcpu` points to a live vCPU.
#[inline(always)]
pub(crate) unsafe fn slot<'a>(vcpu: RawVcpu) -> &'a AtomicPtr<c_void> {
    // SAFETY: the field is a pointer-sized, aligned `void *` of a live
    // vCPU; KVM never touches it, only this module does, atomically.
    unsafe { AtomicPtr::from_ptr(&raw mut (*vcpu).arch.exit_timing) }
}

/// The syndrome (ESR_EL2) of the vCPU's latest exit.
///
/// # Safety
/// `vcpu` is live and the caller runs in its thread, after the exit.
#[inline(always)]
pub(crate) unsafe fn esr(vcpu: RawVcpu) -> u64 {
    // SAFETY: written by the world switch in this thread, before the exit
    // tracepoint fires.
    unsafe { (*vcpu).arch.fault.esr_el2 }
}

/// Whether the vCPU thread, being put, was preempted inside KVM_RUN
/// (still runnable) rather than blocking.
///
/// # Safety
/// `vcpu` points to a live vCPU.
#[inline(always)]
pub(crate) unsafe fn preempted(vcpu: RawVcpu) -> bool {
    // SAFETY: a `bool` KVM writes with WRITE_ONCE; read it once.
    unsafe { core::ptr::read_volatile(&raw const (*vcpu).preempted) }
}

/// KVM's id of the vCPU (its debugfs directory is `vcpu<id>`).
///
/// # Safety
/// `vcpu` points to a live vCPU.
pub(crate) unsafe fn id(vcpu: RawVcpu) -> u32 {
    // SAFETY: set before the vCPU is created, never changed.
    unsafe { (*vcpu).vcpu_id as u32 }
}

/// The VM the vCPU belongs to.
///
/// # Safety
/// `vcpu` points to a live vCPU.
pub(crate) unsafe fn vm(vcpu: RawVcpu) -> RawVm {
    // SAFETY: set before the vCPU is created, never changed.
    unsafe { (*vcpu).kvm }
}

/// The vCPU loaded on this CPU by the current thread, if any.
pub(crate) fn running_vcpu() -> RawVcpu {
    // SAFETY: no preconditions; reads a per-CPU pointer.
    unsafe { bindings::kvm_get_running_vcpu() }
}

/// A VM's name: that of its directory in KVM's debugfs, `<pid>-<fd>`.
#[derive(Clone, Copy)]
pub(crate) struct VmName {
    /// NUL-terminated.
    bytes: [u8; 32],
    len: usize,
}

impl VmName {
    /// The name of `vm`; `fallback` numbers VMs that KVM gave no debugfs
    /// directory.
    ///
    /// # Safety
    /// `vm` points to a live VM.
    pub(crate) unsafe fn of(vm: RawVm, fallback: u64) -> VmName {
        let mut name = VmName {
            bytes: [0; 32],
            len: 0,
        };
        // SAFETY: a live VM's debugfs dentry, if any, lives as long as it.
        let dentry = unsafe { (*vm).debugfs_dentry };
        if !dentry.is_null() {
            // SAFETY: debugfs directories are never renamed: the name is a
            // stable NUL-terminated string while the dentry lives.
            let s = unsafe { kernel::str::CStr::from_char_ptr((*dentry).d_name.name.cast()) };
            let s = s.as_bytes();
            if !s.is_empty() && s.len() < name.bytes.len() {
                name.bytes[..s.len()].copy_from_slice(s);
                name.len = s.len();
                return name;
            }
        }
        let _ = fmt::write(&mut name, format_args!("vm{fallback}"));
        name
    }

    /// For debugfs: the name with its NUL.
    pub(crate) fn as_cstr(&self) -> &kernel::str::CStr {
        // SAFETY: `bytes[len]` is 0 and `bytes[..len]` holds no NUL (it
        // came from a C string or from digits).
        unsafe { kernel::str::CStr::from_bytes_with_nul_unchecked(&self.bytes[..=self.len]) }
    }

    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }
}

impl fmt::Write for VmName {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end >= self.bytes.len() {
            return Err(fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}
