// SPDX-License-Identifier: GPL-2.0

//! The tracepoint probes: the per-exit path.
//!
//! Each probe finds its vCPU's entry through `vcpu->arch.exit_timing` (one
//! load) and hands the event to the vCPU's recorder. Probes run with
//! preemption disabled, in the vCPU's own thread, which makes them the
//! recorder's one writer; `vcpu_destroy` runs after that thread is done
//! with the vCPU, under the pool lock that `set_enabled` also takes.

use crate::clock;
use crate::entries::VcpuEntry;
use crate::kvm::{self, RawVcpu};
use crate::profiler::Profiler;
use crate::pure::classify::seen;
use crate::tracepoint::{probe, Probe};
use core::ffi::{c_int, c_void};

/// The vCPU's entry, if it has one.
///
/// # Safety
/// `vcpu` is live; the returned reference is used before the vCPU is
/// destroyed.
#[inline(always)]
unsafe fn entry<'a>(vcpu: RawVcpu) -> Option<&'a VcpuEntry> {
    // SAFETY: live vCPU (the caller's contract).
    let p = unsafe { kvm::slot(vcpu) }.load(core::sync::atomic::Ordering::Acquire);
    // SAFETY: a non-null slot points to an entry the profiler keeps until
    // the vCPU is destroyed or the probes are unregistered and synchronised.
    unsafe { p.cast::<VcpuEntry>().as_ref() }
}

/// The vCPU's entry, attaching one from the pool if it has none yet.
///
/// # Safety
/// As [`entry`]; `data` is the registered profiler.
#[inline(always)]
unsafe fn entry_or_attach<'a>(data: *mut c_void, vcpu: RawVcpu) -> Option<&'a VcpuEntry> {
    // SAFETY: forwarded.
    match unsafe { entry(vcpu) } {
        Some(e) => Some(e),
        // SAFETY: `data` is the profiler the probes were registered with,
        // valid until they are unregistered and synchronised.
        None => unsafe { &*(data as *const Profiler) }.attach(vcpu),
    }
}

unsafe extern "C" fn guest_enter(data: *mut c_void, vcpu: RawVcpu) {
    // SAFETY: the tracepoint passes a live vCPU, in its thread.
    if let Some(e) = unsafe { entry_or_attach(data, vcpu) } {
        e.recorder.on_enter(clock::now());
    }
}

unsafe extern "C" fn guest_exit(data: *mut c_void, vcpu: RawVcpu, exit_code: c_int) {
    let now = clock::now();
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry_or_attach(data, vcpu) } {
        // SAFETY: live vCPU, in its thread: the syndrome of this exit is in
        // place.
        let esr = unsafe { kvm::esr(vcpu) };
        e.recorder.on_exit(now, exit_code as u32, esr);
    }
}

unsafe extern "C" fn sched_in(_data: *mut c_void, vcpu: RawVcpu) {
    // A vCPU without an entry was not timed when it was switched out:
    // nothing to settle (it attaches at its next entry or exit).
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry(vcpu) } {
        e.recorder.on_load(clock::now());
    }
}

unsafe extern "C" fn sched_out(_data: *mut c_void, vcpu: RawVcpu) {
    // Runs under the runqueue lock when the thread is switched out: no
    // attaching (it could wake the worker) and nothing but a few stores.
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry(vcpu) } {
        // SAFETY: live vCPU.
        if unsafe { kvm::preempted(vcpu) } {
            e.recorder.on_put(clock::now(), true);
        }
    }
}

unsafe extern "C" fn vcpu_run_return(_data: *mut c_void, vcpu: RawVcpu, ret: c_int) {
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry(vcpu) } {
        e.recorder.on_run_return(clock::now(), ret);
    }
}

unsafe extern "C" fn mmio(_data: *mut c_void, vcpu: RawVcpu, user: bool) {
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry(vcpu) } {
        let what = if user {
            seen::MMIO_USER
        } else {
            seen::MMIO_KERNEL
        };
        e.recorder.on_seen(what);
    }
}

unsafe extern "C" fn mem_abort(_data: *mut c_void, vcpu: RawVcpu) {
    // SAFETY: live vCPU, in its thread.
    if let Some(e) = unsafe { entry(vcpu) } {
        e.recorder.on_seen(seen::MEM_ABORT);
    }
}

unsafe extern "C" fn sgi(_data: *mut c_void, vcpu: RawVcpu) {
    // A GICD_SGIR write can also come from user space (device attributes):
    // only the sender's own KVM_RUN may touch its recorder.
    if kvm::running_vcpu() != vcpu {
        return;
    }
    // SAFETY: live vCPU, in its thread (it is this CPU's running vCPU).
    if let Some(e) = unsafe { entry(vcpu) } {
        e.recorder.on_seen(seen::SGI);
    }
}

unsafe extern "C" fn vcpu_create(data: *mut c_void, _vcpu: RawVcpu) {
    // SAFETY: `data` is the registered profiler.
    unsafe { &*(data as *const Profiler) }.vcpu_created();
}

unsafe extern "C" fn vcpu_destroy(data: *mut c_void, vcpu: RawVcpu) {
    // SAFETY: `data` is the registered profiler; the vCPU is live until
    // this tracepoint returns and none of its threads runs it any more.
    unsafe { (*(data as *const Profiler)).vcpu_destroyed(vcpu) };
}

/// Probes of the timing itself, registered while timing is enabled. The
/// guest-exit probe comes last: timing starts with the first exit seen
/// once all the others are in place.
pub(crate) fn timing() -> [Probe; 8] {
    [
        probe!(__tracepoint_kvm_arm_mmio_tp, mmio),
        probe!(__tracepoint_kvm_arm_mem_abort_tp, mem_abort),
        probe!(__tracepoint_kvm_arm_sgi_tp, sgi),
        probe!(__tracepoint_kvm_arm_vcpu_sched_in_tp, sched_in),
        probe!(__tracepoint_kvm_arm_vcpu_sched_out_tp, sched_out),
        probe!(__tracepoint_kvm_arm_vcpu_run_return_tp, vcpu_run_return),
        probe!(__tracepoint_kvm_arm_guest_enter_tp, guest_enter),
        probe!(__tracepoint_kvm_arm_guest_exit_tp, guest_exit),
    ]
}

/// vCPU creation: registered while the module is loaded.
pub(crate) fn create() -> Probe {
    probe!(__tracepoint_kvm_arm_vcpu_create_tp, vcpu_create)
}

/// vCPU destruction: registered while the module is loaded, and the last
/// probe to go.
pub(crate) fn destroy() -> Probe {
    probe!(__tracepoint_kvm_arm_vcpu_destroy_tp, vcpu_destroy)
}
