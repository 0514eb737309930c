// SPDX-License-Identifier: GPL-2.0

//! The bare tracepoints patches/6.12 adds to KVM/arm64
//! (include/trace/events/kvm_arm64.h), as typed probes. Each line states
//! what the tracepoint guarantees: its vCPU is a [`RunningVcpu`] where it
//! fires in the vCPU's own thread inside one of its ioctls, a [`Vcpu`]
//! where it only lives. Probes run with preemption disabled. The guest
//! exit, which fires on every exit, is a hook instead (`kvm_exit_hook.rs`).

use super::kvm::{RunningVcpu, Vcpu};
use super::tracepoint::tracepoints;
use core::ffi::c_int;
use kernel::bindings::kvm_vcpu;

tracepoints! {
    /// The vCPU was created (in the creating thread; not running yet).
    pub(crate) trait VcpuCreate: fn vcpu_create = kvm_arm_vcpu_create_tp(vcpu: *mut kvm_vcpu => &Vcpu);

    /// The vCPU is about to be freed: no thread runs it any more, and it
    /// lives until the probe returns.
    pub(crate) trait VcpuDestroy: fn vcpu_destroy = kvm_arm_vcpu_destroy_tp(vcpu: *mut kvm_vcpu => &Vcpu);

    /// The scheduler switches the thread of a loaded vCPU back in.
    pub(crate) trait SchedIn: fn sched_in = kvm_arm_vcpu_sched_in_tp(vcpu: *mut kvm_vcpu => &RunningVcpu);

    /// The scheduler switches the thread of a loaded vCPU out (under the
    /// runqueue lock).
    pub(crate) trait SchedOut: fn sched_out = kvm_arm_vcpu_sched_out_tp(vcpu: *mut kvm_vcpu => &RunningVcpu);

    /// KVM_RUN returns `ret` to user space.
    pub(crate) trait RunReturn: fn run_return = kvm_arm_vcpu_run_return_tp(
        vcpu: *mut kvm_vcpu => &RunningVcpu,
        ret: c_int => i32,
    );

    /// The data abort being handled is MMIO, emulated in the kernel or
    /// (`user`) forwarded to user space.
    pub(crate) trait Mmio: fn mmio = kvm_arm_mmio_tp(vcpu: *mut kvm_vcpu => &RunningVcpu, user: bool => bool);

    /// The abort being handled is a stage-2 fault on guest memory.
    pub(crate) trait MemAbort: fn mem_abort = kvm_arm_mem_abort_tp(vcpu: *mut kvm_vcpu => &RunningVcpu);

    /// SGI `intid` is about to be made pending on `target` by `vcpu`:
    /// while `vcpu` handles an exit, or, for a GICD_SGIR write through the
    /// device attributes, by user space on its behalf (then not in its
    /// thread). Once per target, before the target is kicked or woken.
    pub(crate) trait Sgi: fn sgi = kvm_arm_sgi_tp(
        vcpu: *mut kvm_vcpu => &Vcpu,
        target: *mut kvm_vcpu => &Vcpu,
        intid: u32 => u32,
    );
}
