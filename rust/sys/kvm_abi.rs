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
};
