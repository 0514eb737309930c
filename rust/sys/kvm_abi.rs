// SPDX-License-Identifier: GPL-2.0

//! Compile-time checks of the constants the pure layer copies from C.
//!
//! The pure layer cannot see the bindings (it also builds on the host), so
//! it carries its own copies of KVM's exit codes and of the syndrome's
//! layout. Here each copy is compared with the kernel's own value: a kernel
//! whose values differ fails to build the module instead of misclassifying
//! exits. (The tracepoints' prototypes are checked where they are declared,
//! in `kvm_tracepoints.rs`.)

use crate::pure::classify as pure;
use crate::pure::el2;
use kernel::bindings as c;

const _: () = {
    assert!(pure::ARM_EXCEPTION_IRQ == c::ARM_EXCEPTION_IRQ);
    assert!(pure::ARM_EXCEPTION_EL1_SERROR == c::ARM_EXCEPTION_EL1_SERROR);
    assert!(pure::ARM_EXCEPTION_TRAP == c::ARM_EXCEPTION_TRAP);
    assert!(pure::ARM_EXCEPTION_IL == c::ARM_EXCEPTION_IL);
    assert!(pure::ARM_EXCEPTION_HYP_GONE == c::ARM_EXCEPTION_HYP_GONE);
    assert!(pure::ARM_EXIT_WITH_SERROR_BIT == c::ARM_EXIT_WITH_SERROR_BIT);
    assert!(pure::ESR_EC_SHIFT == c::ESR_ELx_EC_SHIFT);
    assert!(pure::ESR_EC_WIDTH == c::ESR_ELx_EC_WIDTH);
    assert!(pure::ec::WFX as u64 == c::ESR_ELx_EC_WFx as u64);
    assert!(pure::ec::CP15_32 as u64 == c::ESR_ELx_EC_CP15_32 as u64);
    assert!(pure::ec::CP15_64 as u64 == c::ESR_ELx_EC_CP15_64 as u64);
    assert!(pure::ec::CP14_MR as u64 == c::ESR_ELx_EC_CP14_MR as u64);
    assert!(pure::ec::CP14_LS as u64 == c::ESR_ELx_EC_CP14_LS as u64);
    assert!(pure::ec::FP_ASIMD as u64 == c::ESR_ELx_EC_FP_ASIMD as u64);
    assert!(pure::ec::CP10_ID as u64 == c::ESR_ELx_EC_CP10_ID as u64);
    assert!(pure::ec::PAC as u64 == c::ESR_ELx_EC_PAC as u64);
    assert!(pure::ec::CP14_64 as u64 == c::ESR_ELx_EC_CP14_64 as u64);
    assert!(pure::ec::HVC32 as u64 == c::ESR_ELx_EC_HVC32 as u64);
    assert!(pure::ec::SMC32 as u64 == c::ESR_ELx_EC_SMC32 as u64);
    assert!(pure::ec::SVC64 as u64 == c::ESR_ELx_EC_SVC64 as u64);
    assert!(pure::ec::HVC64 as u64 == c::ESR_ELx_EC_HVC64 as u64);
    assert!(pure::ec::SMC64 as u64 == c::ESR_ELx_EC_SMC64 as u64);
    assert!(pure::ec::SYS64 as u64 == c::ESR_ELx_EC_SYS64 as u64);
    assert!(pure::ec::SVE as u64 == c::ESR_ELx_EC_SVE as u64);
    assert!(pure::ec::ERET as u64 == c::ESR_ELx_EC_ERET as u64);
    assert!(pure::ec::IABT_LOW as u64 == c::ESR_ELx_EC_IABT_LOW as u64);
    assert!(pure::ec::DABT_LOW as u64 == c::ESR_ELx_EC_DABT_LOW as u64);
    assert!(pure::ec::BREAKPT_LOW as u64 == c::ESR_ELx_EC_BREAKPT_LOW as u64);
    assert!(pure::ec::SOFTSTP_LOW as u64 == c::ESR_ELx_EC_SOFTSTP_LOW as u64);
    assert!(pure::ec::WATCHPT_LOW as u64 == c::ESR_ELx_EC_WATCHPT_LOW as u64);
    assert!(pure::ec::BKPT32 as u64 == c::ESR_ELx_EC_BKPT32 as u64);
    assert!(pure::ec::BRK64 as u64 == c::ESR_ELx_EC_BRK64 as u64);
    assert!(el2::CLASSES == c::KVM_HYP_EXIT_CLASSES as usize);
    assert!(el2::CLASSES == 1 << pure::ESR_EC_WIDTH);
};
