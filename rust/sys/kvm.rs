// SPDX-License-Identifier: GPL-2.0

//! KVM's vCPUs and VMs as the probes see them: opaque types over `struct
//! kvm_vcpu` and `struct kvm`, with safe accessors for the few fields the
//! module reads.
//!
//! A tracepoint hands its probes a `struct kvm_vcpu *`. Its declaration
//! (`kvm_tracepoints.rs`) says which of the two types below the pointer
//! becomes, and that is the one place a raw vCPU is trusted:
//! - [`Vcpu`]: a live vCPU, for as long as the reference lives;
//! - [`RunningVcpu`]: a live vCPU whose own thread is the caller, inside
//!   one of the vCPU's ioctls (KVM_RUN, or another that loads it), so that
//!   the fields only that thread writes may be read, and the VM, whose
//!   reference the vCPU's file holds, is alive too.

use super::tracepoint::ProbeArg;
use crate::pure::breakdown::MmioDevice;
use crate::pure::el2;
use crate::pure::ipi::IpiKind;
use crate::pure::text_buf::TextBuf;
use core::ffi::c_void;
use core::fmt::Write;
use core::ops::Deref;
use core::sync::atomic::{AtomicI32, AtomicPtr, AtomicU64, Ordering};
use kernel::{bindings, str::CStr, types::Opaque};

/// A live `struct kvm_vcpu`.
#[repr(transparent)]
pub(crate) struct Vcpu(Opaque<bindings::kvm_vcpu>);

/// A live vCPU, seen from its own thread inside one of its ioctls (see the
/// module documentation).
#[repr(transparent)]
pub(crate) struct RunningVcpu(Vcpu);

/// A VM's identity: the address of its `struct kvm`, never dereferenced.
/// KVM may reuse it for a new VM once this one is destroyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct VmId(usize);

/// A VM's name: that of its directory in KVM's debugfs, `<pid>-<fd>`.
pub(crate) type VmName = TextBuf<32>;

impl VmId {
    /// The identity as a number, to keep in an atomic.
    pub(crate) fn to_bits(self) -> u64 {
        self.0 as u64
    }

    pub(crate) fn from_bits(bits: u64) -> VmId {
        VmId(bits as usize)
    }
}

impl Vcpu {
    /// # Safety
    /// `ptr` points to a vCPU that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::kvm_vcpu) -> &'a Vcpu {
        // SAFETY: `Vcpu` is a transparent wrapper of the live vCPU (the
        // caller's contract); `Opaque` lets KVM change it meanwhile.
        unsafe { &*ptr.cast::<Vcpu>() }
    }

    pub(crate) fn as_ptr(&self) -> *mut bindings::kvm_vcpu {
        self.0.get()
    }

    /// `vcpu->arch.exit_timing`, the pointer a probe owns (KVM only sets
    /// it to NULL when it creates the vCPU).
    #[inline(always)]
    pub(crate) fn exit_timing(&self) -> &AtomicPtr<c_void> {
        // SAFETY: a pointer-sized, aligned `void *` of a live vCPU, which
        // only this module's probes and functions access, atomically.
        unsafe { AtomicPtr::from_ptr(&raw mut (*self.as_ptr()).arch.exit_timing) }
    }

    /// KVM's id of the vCPU (its debugfs directory is `vcpu<id>`).
    pub(crate) fn id(&self) -> u32 {
        // SAFETY: set before the vCPU is created, never changed.
        unsafe { (*self.as_ptr()).vcpu_id as u32 }
    }

    /// The VM the vCPU belongs to.
    pub(crate) fn vm(&self) -> VmId {
        // SAFETY: set before the vCPU is created, never changed.
        VmId(unsafe { (*self.as_ptr()).kvm } as usize)
    }

    /// KVM's count of the vCPU's exits (the stat `exits`), which the run
    /// loop increments after the exit hook returns.
    pub(crate) fn exits(&self) -> u64 {
        // SAFETY: an aligned `u64` stat of a live vCPU, read once.
        unsafe { AtomicU64::from_ptr(&raw mut (*self.as_ptr()).stat.exits) }.load(Ordering::Relaxed)
    }

    /// KVM's counts of the traps it handled at EL2 for this vCPU, by
    /// exception class (the stat `hyp_exit_hist`, patches/6.12).
    pub(crate) fn hyp_exits(&self) -> [u64; el2::CLASSES] {
        // SAFETY: the stat array of a live vCPU: aligned `u64`s that EL2
        // increments in the vCPU's thread while others may read them, as
        // KVM's stats files do.
        // (Typed: a stat of another length does not build.)
        let hist: *mut [u64; el2::CLASSES] =
            unsafe { &raw mut (*self.as_ptr()).stat.hyp_exit_hist };
        core::array::from_fn(|class| {
            // SAFETY: `class` is within the array; read once, like
            // READ_ONCE().
            unsafe { AtomicU64::from_ptr(hist.cast::<u64>().add(class)) }.load(Ordering::Relaxed)
        })
    }

    /// Where the vCPU is, as an SGI sent to it finds it: in the guest
    /// (KVM must kick it), blocked (KVM must wake it) or neither.
    pub(crate) fn ipi_kind(&self) -> IpiKind {
        let v = self.as_ptr();
        // SAFETY: `mode` is an `int` of a live vCPU that KVM writes with
        // WRITE_ONCE/smp_store_mb and reads racily, as this does.
        let mode = unsafe { AtomicI32::from_ptr(&raw mut (*v).mode) }.load(Ordering::Relaxed);
        // SAFETY: the waiting task of a live vCPU's rcuwait, set and
        // cleared by its thread; only compared with NULL here.
        let waiting = !unsafe { AtomicPtr::from_ptr(&raw mut (*v).wait.task) }
            .load(Ordering::Relaxed)
            .is_null();
        if mode == bindings::IN_GUEST_MODE as i32 {
            IpiKind::Running
        } else if waiting {
            IpiKind::Blocked
        } else {
            IpiKind::InHost
        }
    }

    /// This vCPU as its own thread sees it, if the caller is that thread
    /// with the vCPU loaded (it is this CPU's running vCPU).
    #[inline(always)]
    pub(crate) fn as_running(&self) -> Option<&RunningVcpu> {
        // SAFETY: no preconditions; reads a per-CPU pointer.
        let running = unsafe { bindings::kvm_get_running_vcpu() };
        // A vCPU is this CPU's running one only between vcpu_load() and
        // vcpu_put() in its own thread, inside one of its ioctls.
        (running == self.as_ptr()).then(|| {
            // SAFETY: transparent wrapper; see above.
            unsafe { &*(self as *const Vcpu).cast::<RunningVcpu>() }
        })
    }
}

impl Deref for RunningVcpu {
    type Target = Vcpu;

    fn deref(&self) -> &Vcpu {
        &self.0
    }
}

impl RunningVcpu {
    /// The syndrome (ESR_EL2) of the vCPU's latest exit: that of the exit
    /// being handled, from the guest-exit tracepoint on.
    #[inline(always)]
    pub(crate) fn esr(&self) -> u64 {
        // SAFETY: written by the world switch in this thread.
        unsafe { (*self.as_ptr()).arch.fault.esr_el2 }
    }

    /// The guest-physical address of the data abort being handled (of
    /// its latest exit, if it was one), as io_mem_abort() computes it.
    #[inline(always)]
    pub(crate) fn fault_ipa(&self) -> u64 {
        // SAFETY: the fault registers, saved by the world switch in this
        // thread.
        let (far, hpfar) = unsafe {
            let f = &(*self.as_ptr()).arch.fault;
            (f.far_el2, f.hpfar_el2)
        };
        (hpfar & HPFAR_MASK) << 8 | far & 0xfff
    }

    /// Where the MMIO access at `ipa` that KVM just emulated in the kernel
    /// went: looked up on the VM's MMIO bus, as KVM dispatched it, and for
    /// the vGIC's devices by their kind. Called while KVM handles the
    /// exit, inside its SRCU read side, which the lookup needs.
    pub(crate) fn mmio_device(&self, ipa: u64) -> MmioDevice {
        // SAFETY: the VM of this thread's vCPU, alive, and in KVM's SRCU
        // read side (see above).
        let (dev, kvm) = unsafe {
            let kvm = (*self.as_ptr()).kvm;
            (
                bindings::kvm_io_bus_get_dev(kvm, bindings::kvm_bus_KVM_MMIO_BUS, ipa),
                kvm,
            )
        };
        if dev.is_null() {
            return MmioDevice::Unknown;
        }
        // SAFETY: every vGIC MMIO device has the distributor's ops, and is
        // the `dev` of a `struct vgic_io_device`; the VM's vGIC state
        // lives as long as the VM.
        unsafe {
            let dist = &raw const (*kvm).arch.vgic.dist_iodev;
            if (*dev).ops != (*dist).dev.ops {
                return MmioDevice::Kernel;
            }
            let iodev = kernel::container_of!(dev, bindings::vgic_io_device, dev);
            match (*iodev).iodev_type {
                bindings::iodev_type_IODEV_DIST => MmioDevice::Gicd,
                bindings::iodev_type_IODEV_REDIST => MmioDevice::Gicr,
                bindings::iodev_type_IODEV_ITS => MmioDevice::Its,
                _ => MmioDevice::Kernel,
            }
        }
    }

    /// The guest's x0 at its latest exit: an SMCCC call's function ID.
    #[inline(always)]
    pub(crate) fn x0(&self) -> u64 {
        // SAFETY: the guest's registers, saved by the world switch in this
        // thread.
        unsafe { (*self.as_ptr()).arch.ctxt.regs.regs[0] }
    }

    /// Whether the guest run that just ended had SGI `intid` from vCPU
    /// `sender` in its list registers (the sender only with GICv2, whose
    /// list registers say it). At the exit hook the saved list registers
    /// are those of that run: KVM wrote them before the entry and saves
    /// only their state bits after it.
    pub(crate) fn lrs_hold_sgi(&self, intid: u32, sender: usize) -> bool {
        // SAFETY: the vGIC state of this thread's vCPU and of its VM, which
        // the VM's reference keeps alive; KVM writes it in this thread.
        let (model, cpu) = unsafe {
            let v = self.as_ptr();
            (
                (*(*v).kvm).arch.vgic.vgic_model,
                &(*v).arch.vgic_cpu.__bindgen_anon_1,
            )
        };
        if model == bindings::kvm_device_type_KVM_DEV_TYPE_ARM_VGIC_V3 {
            // SAFETY: the GICv3 member of the union, as the model says.
            let v3 = unsafe { &cpu.vgic_v3 };
            let used = (v3.used_lrs as usize).min(v3.vgic_lr.len());
            v3.vgic_lr[..used]
                .iter()
                .any(|&lr| lr & GICV3_LR_VINTID == u64::from(intid))
        } else {
            // SAFETY: the GICv2 member of the union, as the model says.
            let v2 = unsafe { &cpu.vgic_v2 };
            let used = (v2.used_lrs as usize).min(v2.vgic_lr.len());
            v2.vgic_lr[..used].iter().any(|&lr| {
                lr & GICV2_LR_VIRTUALID == intid
                    && (lr >> GICV2_LR_CPUID_SHIFT & 0x7) as usize == sender
            })
        }
    }

    /// Whether the thread, being switched out, was preempted inside
    /// KVM_RUN (still runnable) rather than blocking.
    #[inline(always)]
    pub(crate) fn preempted(&self) -> bool {
        // SAFETY: a `bool` KVM writes with WRITE_ONCE; read it once.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_ptr()).preempted) }
    }

    /// The name of the VM's directory in KVM's debugfs, if it has one.
    pub(crate) fn vm_name(&self) -> Option<VmName> {
        // SAFETY: the VM is alive (the vCPU's file holds a reference) and
        // its debugfs directory too: KVM removes it only when it destroys
        // the VM.
        let dentry = unsafe { (*(*self.as_ptr()).kvm).debugfs_dentry };
        // KVM leaves ERR_PTR(-ENOENT) there when it made no directory.
        // SAFETY: only tests the pointer's value.
        if dentry.is_null() || unsafe { bindings::IS_ERR(dentry.cast()) } {
            return None;
        }
        // SAFETY: a live directory (above), and debugfs directories are
        // never renamed: a stable NUL-terminated string.
        let s = unsafe { CStr::from_char_ptr((*dentry).d_name.name.cast()) };
        let mut name = VmName::new();
        match s.to_str() {
            Ok(s) if !s.is_empty() && name.write_str(s).is_ok() => Some(name),
            _ => None,
        }
    }
}

/// HPFAR_EL2's fault address bits (HPFAR_MASK).
const HPFAR_MASK: u64 = !0xf;

/// The virtual INTID of a GICv3 list register (ICH_LR_VIRTUAL_ID_MASK).
const GICV3_LR_VINTID: u64 = (1 << 32) - 1;
const _: () = assert!(GICV3_LR_VINTID == bindings::ICH_LR_VIRTUAL_ID_MASK as u64);
/// The virtual ID of a GICv2 list register, and where an SGI's source CPU
/// is (GICH_LR_VIRTUALID, GICH_LR_PHYSID_CPUID_SHIFT).
const GICV2_LR_VIRTUALID: u32 = 0x3ff;
const GICV2_LR_CPUID_SHIFT: u32 = 10;

/// The name of a VM KVM gave no debugfs directory: `vm<n>`.
pub(crate) fn fallback_name(n: u64) -> VmName {
    let mut name = VmName::new();
    let _ = write!(name, "vm{n}");
    name
}

// SAFETY: the tracepoints declared with `&Vcpu` pass a vCPU that lives
// until the probe returns.
unsafe impl<'a> ProbeArg<*mut bindings::kvm_vcpu> for &'a Vcpu {
    #[inline(always)]
    unsafe fn from_raw(raw: *mut bindings::kvm_vcpu) -> &'a Vcpu {
        // SAFETY: as above.
        unsafe { Vcpu::from_raw(raw) }
    }
}

// SAFETY: the tracepoints declared with `&RunningVcpu` fire in the vCPU's
// own thread, inside one of its ioctls.
unsafe impl<'a> ProbeArg<*mut bindings::kvm_vcpu> for &'a RunningVcpu {
    #[inline(always)]
    unsafe fn from_raw(raw: *mut bindings::kvm_vcpu) -> &'a RunningVcpu {
        // SAFETY: as above; `RunningVcpu` is a transparent `Vcpu`.
        unsafe { &*raw.cast::<RunningVcpu>() }
    }
}
