// SPDX-License-Identifier: GPL-2.0

//! Which row of the table an exit belongs to.
//!
//! The guest-exit tracepoint gives the exit code of the world switch and,
//! for traps, the syndrome (ESR_EL2). That names a first class; the
//! tracepoints that fire while KVM handles the exit (MMIO, stage-2 fault,
//! SGI) refine it before the exit is recorded.

use super::exit_type::ExitType::{self, *};

/// `ARM_EXCEPTION_*` exit codes (arch/arm64/include/asm/kvm_asm.h). These
/// and the syndrome constants below are copied from C: the sys layer
/// checks them against the kernel's bindings at compile time
/// (rust/sys/kvm_abi.rs).
pub(crate) const ARM_EXCEPTION_IRQ: u32 = 0;
pub(crate) const ARM_EXCEPTION_EL1_SERROR: u32 = 1;
pub(crate) const ARM_EXCEPTION_TRAP: u32 = 2;
pub(crate) const ARM_EXCEPTION_IL: u32 = 3;
/// `HVC_STUB_ERR`: EL2 was reset to the hyp stub under the guest.
pub(crate) const ARM_EXCEPTION_HYP_GONE: u32 = 0xbadca11;
/// Set in the exit code when an SError was pending at exit.
pub(crate) const ARM_EXIT_WITH_SERROR_BIT: u32 = 31;
pub(crate) const ARM_EXIT_WITH_SERROR: u32 = 1 << ARM_EXIT_WITH_SERROR_BIT;

/// Where the exception class sits in the syndrome (ESR_ELx_EC_SHIFT).
pub(crate) const ESR_EC_SHIFT: u32 = 26;
/// Its width in bits (ESR_ELx_EC_WIDTH).
pub(crate) const ESR_EC_WIDTH: u32 = 6;

/// The exception classes KVM handles (`ESR_ELx_EC_*`,
/// arch/arm64/include/asm/esr.h).
pub(crate) mod ec {
    pub(crate) const WFX: u8 = 0x01;
    pub(crate) const CP15_32: u8 = 0x03;
    pub(crate) const CP15_64: u8 = 0x04;
    pub(crate) const CP14_MR: u8 = 0x05;
    pub(crate) const CP14_LS: u8 = 0x06;
    pub(crate) const FP_ASIMD: u8 = 0x07;
    pub(crate) const CP10_ID: u8 = 0x08;
    pub(crate) const PAC: u8 = 0x09;
    pub(crate) const CP14_64: u8 = 0x0c;
    pub(crate) const HVC32: u8 = 0x12;
    pub(crate) const SMC32: u8 = 0x13;
    pub(crate) const SVC64: u8 = 0x15;
    pub(crate) const HVC64: u8 = 0x16;
    pub(crate) const SMC64: u8 = 0x17;
    pub(crate) const SYS64: u8 = 0x18;
    pub(crate) const SVE: u8 = 0x19;
    pub(crate) const ERET: u8 = 0x1a;
    pub(crate) const IABT_LOW: u8 = 0x20;
    pub(crate) const DABT_LOW: u8 = 0x24;
    pub(crate) const BREAKPT_LOW: u8 = 0x30;
    pub(crate) const SOFTSTP_LOW: u8 = 0x32;
    pub(crate) const WATCHPT_LOW: u8 = 0x34;
    pub(crate) const BKPT32: u8 = 0x38;
    pub(crate) const BRK64: u8 = 0x3c;
}

/// Row of a trap by its exception class, mirroring KVM's
/// `arm_exit_handlers[]`: a class KVM has no handler for is UNKNOWN.
const BY_EXCEPTION_CLASS: [ExitType; 1 << ESR_EC_WIDTH] = {
    let mut t = [Unknown; 1 << ESR_EC_WIDTH];
    t[ec::WFX as usize] = Wfx;
    t[ec::CP15_32 as usize] = Cp15_32;
    t[ec::CP15_64 as usize] = Cp15_64;
    t[ec::CP14_MR as usize] = Cp14Mr;
    t[ec::CP14_LS as usize] = Cp14Ls;
    t[ec::FP_ASIMD as usize] = FpAsimd;
    t[ec::CP10_ID as usize] = Cp10Id;
    t[ec::PAC as usize] = Pac;
    t[ec::CP14_64 as usize] = Cp14_64;
    t[ec::HVC32 as usize] = Hvc32;
    t[ec::SMC32 as usize] = Smc32;
    t[ec::SVC64 as usize] = Svc64;
    t[ec::HVC64 as usize] = Hvc64;
    t[ec::SMC64 as usize] = Smc64;
    t[ec::SYS64 as usize] = Sys64;
    t[ec::SVE as usize] = Sve;
    t[ec::ERET as usize] = Eret;
    t[ec::IABT_LOW as usize] = IabtLow;
    t[ec::DABT_LOW as usize] = DabtLow;
    t[ec::BREAKPT_LOW as usize] = Debug;
    t[ec::SOFTSTP_LOW as usize] = Debug;
    t[ec::WATCHPT_LOW as usize] = Debug;
    t[ec::BKPT32 as usize] = Debug;
    t[ec::BRK64 as usize] = Debug;
    t
};

/// The exception class field of a syndrome.
#[inline(always)]
fn exception_class(esr: u64) -> usize {
    ((esr >> ESR_EC_SHIFT) & ((1 << ESR_EC_WIDTH) - 1)) as usize
}

/// The first class of an exit, known right after the world switch.
///
/// An exit with a pending SError is an SERROR exit whatever its code:
/// KVM handles the SError and re-enters the guest without handling the
/// trap, which the guest takes again.
#[inline(always)]
pub(crate) fn classify(exit_code: u32, esr: u64) -> ExitType {
    // The common case first: a trap (without the SError flag).
    if exit_code == ARM_EXCEPTION_TRAP {
        return BY_EXCEPTION_CLASS[exception_class(esr)];
    }
    if exit_code & ARM_EXIT_WITH_SERROR != 0 {
        return SError;
    }
    match exit_code {
        ARM_EXCEPTION_IRQ => Interrupt,
        ARM_EXCEPTION_EL1_SERROR => SError,
        ARM_EXCEPTION_TRAP => BY_EXCEPTION_CLASS[exception_class(esr)],
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
