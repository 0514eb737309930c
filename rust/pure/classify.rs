// SPDX-License-Identifier: GPL-2.0

//! Which row of the table an exit belongs to.
//!
//! The guest-exit tracepoint gives the exit code of the world switch and,
//! for traps, the syndrome (ESR_EL2). That names a first class; the
//! tracepoints that fire while KVM handles the exit (MMIO, stage-2 fault,
//! SGI) refine it before the exit is recorded.

use super::exit_type::ExitType::{self, *};

/// `ARM_EXCEPTION_*` exit codes (arch/arm64/include/asm/kvm_asm.h).
pub(crate) const ARM_EXCEPTION_IRQ: u32 = 0;
pub(crate) const ARM_EXCEPTION_EL1_SERROR: u32 = 1;
pub(crate) const ARM_EXCEPTION_TRAP: u32 = 2;
pub(crate) const ARM_EXCEPTION_IL: u32 = 3;
/// `HVC_STUB_ERR`: EL2 was reset to the hyp stub under the guest.
pub(crate) const ARM_EXCEPTION_HYP_GONE: u32 = 0xbadca11;
/// Set in the exit code when an SError was pending at exit.
pub(crate) const ARM_EXIT_WITH_SERROR: u32 = 1 << 31;

const ESR_EC_SHIFT: u32 = 26;

/// Row of a trap by its exception class, mirroring KVM's
/// `arm_exit_handlers[]`: a class KVM has no handler for is UNKNOWN.
const BY_EXCEPTION_CLASS: [ExitType; 64] = {
    let mut t = [Unknown; 64];
    t[0x01] = Wfx;
    t[0x03] = Cp15_32;
    t[0x04] = Cp15_64;
    t[0x05] = Cp14Mr;
    t[0x06] = Cp14Ls;
    t[0x07] = FpAsimd;
    t[0x08] = Cp10Id;
    t[0x09] = Pac;
    t[0x0c] = Cp14_64;
    t[0x12] = Hvc32;
    t[0x13] = Smc32;
    t[0x15] = Svc64;
    t[0x16] = Hvc64;
    t[0x17] = Smc64;
    t[0x18] = Sys64;
    t[0x19] = Sve;
    t[0x1a] = Eret;
    t[0x20] = IabtLow;
    t[0x24] = DabtLow;
    // Breakpoint, software step, watchpoint, BKPT (A32), BRK (A64).
    t[0x30] = Debug;
    t[0x32] = Debug;
    t[0x34] = Debug;
    t[0x38] = Debug;
    t[0x3c] = Debug;
    t
};

/// The first class of an exit, known right after the world switch.
///
/// An exit with a pending SError is an SERROR exit whatever its code:
/// KVM handles the SError and re-enters the guest without handling the
/// trap, which the guest takes again.
#[inline(always)]
pub(crate) fn classify(exit_code: u32, esr: u64) -> ExitType {
    // The common case first: a trap (without the SError flag).
    if exit_code == ARM_EXCEPTION_TRAP {
        return BY_EXCEPTION_CLASS[((esr >> ESR_EC_SHIFT) & 0x3f) as usize];
    }
    if exit_code & ARM_EXIT_WITH_SERROR != 0 {
        return SError;
    }
    match exit_code {
        ARM_EXCEPTION_IRQ => Interrupt,
        ARM_EXCEPTION_EL1_SERROR => SError,
        ARM_EXCEPTION_TRAP => BY_EXCEPTION_CLASS[((esr >> ESR_EC_SHIFT) & 0x3f) as usize],
        ARM_EXCEPTION_IL => Il,
        ARM_EXCEPTION_HYP_GONE => HypGone,
        _ => Unknown,
    }
}

/// What the tracepoints fired while an exit was handled said about it.
pub(crate) mod seen {
    /// An in-kernel device emulated MMIO (`mmio_exit_kernel`).
    pub(crate) const MMIO_KERNEL: u8 = 1 << 0;
    /// MMIO went to the user-space VMM (`mmio_exit_user`).
    pub(crate) const MMIO_USER: u8 = 1 << 1;
    /// A stage-2 fault on guest memory was handled.
    pub(crate) const MEM_ABORT: u8 = 1 << 2;
    /// The guest made an SGI pending.
    pub(crate) const SGI: u8 = 1 << 3;
}

/// The final row of an exit of first class `class` during which the
/// tracepoints in `seen` fired.
#[inline(always)]
pub(crate) fn refine(class: ExitType, seen: u8) -> ExitType {
    if seen == 0 {
        class
    } else if seen & seen::MMIO_KERNEL != 0 {
        if seen & seen::SGI != 0 {
            DabtIoMemIpi
        } else {
            DabtIoMem
        }
    } else if seen & seen::MMIO_USER != 0 {
        DabtIoUser
    } else if seen & seen::SGI != 0 && matches!(class, Sys64 | Cp15_64) {
        // ICC_SGI*R_EL1 from AArch64, or the MCRR form from AArch32.
        Sys64Ipi
    } else if seen & seen::MEM_ABORT != 0 && matches!(class, DabtLow) {
        DabtUserMem
    } else {
        class
    }
}
