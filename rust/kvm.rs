// SPDX-License-Identifier: GPL-2.0

//! What the module reads from KVM's `struct kvm_vcpu` and `struct kvm`.
//!
//! The tracepoints hand the probes a `struct kvm_vcpu *`; every field
//! access goes through the functions here.

use crate::pure::text_buf::TextBuf;
use core::ffi::c_void;
use core::fmt::Write;
use core::sync::atomic::AtomicPtr;
use kernel::{bindings, prelude::*, str::CStr};

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
pub(crate) type VmName = TextBuf<32>;

/// The name of `vm`'s directory in KVM's debugfs, if it has one.
///
/// # Safety
/// `vm` is live and its debugfs directory cannot be removed meanwhile: the
/// caller runs inside an ioctl of one of its vCPUs, whose file holds a
/// reference on the VM (KVM removes the directory when it destroys the
/// VM, before its vCPUs).
pub(crate) unsafe fn vm_debugfs_name(vm: RawVm) -> Option<VmName> {
    // SAFETY: the caller's contract.
    let dentry = unsafe { (*vm).debugfs_dentry };
    // KVM leaves ERR_PTR(-ENOENT) there when it made no directory.
    // SAFETY: only tests the pointer's value.
    if dentry.is_null() || unsafe { bindings::IS_ERR(dentry.cast()) } {
        return None;
    }
    // SAFETY: the directory lives (the caller's contract) and debugfs
    // directories are never renamed: a stable NUL-terminated string.
    let s = unsafe { CStr::from_char_ptr((*dentry).d_name.name.cast()) };
    let mut name = VmName::new();
    match s.to_str() {
        Ok(s) if !s.is_empty() && name.write_str(s).is_ok() => Some(name),
        _ => None,
    }
}

/// The name of a VM KVM gave no debugfs directory: `vm<n>`.
pub(crate) fn fallback_name(n: u64) -> VmName {
    let mut name = VmName::new();
    let _ = write!(name, "vm{n}");
    name
}

/// A [`TextBuf`] as a C string, for debugfs.
pub(crate) fn as_cstr<const N: usize>(buf: &TextBuf<N>) -> Result<&CStr> {
    CStr::from_bytes_with_nul(buf.as_bytes_with_nul()).map_err(|_| EINVAL)
}
