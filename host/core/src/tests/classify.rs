// SPDX-License-Identifier: GPL-2.0

//! Classification of exits from exit code and syndrome, and refinement.

use crate::pure::classify::{self, classify, refine, seen};
use crate::pure::exit_type::ExitType::{self, *};
use proptest::prelude::*;

fn trap(ec: u64) -> ExitType {
    classify(classify::ARM_EXCEPTION_TRAP, ec << 26 | 0x1ff_ffff)
}

/// KVM 6.12's arm_exit_handlers[] (arch/arm64/kvm/handle_exit.c): every
/// class with a handler, and the row it belongs to.
const HANDLED: [(u64, ExitType); 25] = [
    (0x01, Wfx),
    (0x03, Cp15_32),
    (0x04, Cp15_64),
    (0x05, Cp14Mr),
    (0x06, Cp14Ls),
    (0x07, FpAsimd),
    (0x08, Cp10Id),
    (0x09, Pac),
    (0x0c, Cp14_64),
    (0x12, Hvc32),
    (0x13, Smc32),
    (0x15, Svc64),
    (0x16, Hvc64),
    (0x17, Smc64),
    (0x18, Sys64),
    (0x19, Sve),
    (0x1a, Eret),
    (0x20, IabtLow),
    (0x24, DabtLow),
    (0x30, Debug),
    (0x32, Debug),
    (0x34, Debug),
    (0x38, Debug),
    (0x3c, Debug),
    (0x00, Unknown),
];

#[test]
fn every_exception_class_maps_like_kvms_handler_table() {
    for ec in 0..64u64 {
        let want = HANDLED
            .iter()
            .find(|(c, _)| *c == ec)
            .map_or(Unknown, |(_, t)| *t);
        assert_eq!(trap(ec), want, "EC {ec:#x}");
    }
}

#[test]
fn only_the_class_bits_of_the_syndrome_matter() {
    assert_eq!(classify(classify::ARM_EXCEPTION_TRAP, 0x16 << 26), Hvc64);
    assert_eq!(
        classify(
            classify::ARM_EXCEPTION_TRAP,
            u64::MAX << 32 | 0x16 << 26 | 0x3ff_ffff
        ),
        Hvc64
    );
}

#[test]
fn exit_codes_other_than_traps() {
    assert_eq!(classify(classify::ARM_EXCEPTION_IRQ, 0x16 << 26), Interrupt);
    assert_eq!(classify(classify::ARM_EXCEPTION_EL1_SERROR, 0), SError);
    assert_eq!(classify(classify::ARM_EXCEPTION_IL, 0), Il);
    assert_eq!(classify(classify::ARM_EXCEPTION_HYP_GONE, 0), HypGone);
    assert_eq!(classify(4, 0x16 << 26), Unknown);
    assert_eq!(classify(0x7fff_ffff, 0), Unknown);
}

#[test]
fn a_pending_serror_makes_any_exit_an_serror_exit() {
    let serror = classify::ARM_EXIT_WITH_SERROR;
    assert_eq!(
        classify(serror | classify::ARM_EXCEPTION_TRAP, 0x16 << 26),
        SError
    );
    assert_eq!(classify(serror | classify::ARM_EXCEPTION_IRQ, 0), SError);
}

#[test]
fn refinement() {
    use seen::*;
    let cases = [
        (DabtLow, 0, DabtLow),
        (DabtLow, MMIO_KERNEL, DabtIoMem),
        (DabtLow, MMIO_KERNEL | SGI, DabtIoMemIpi),
        (DabtLow, MMIO_USER, DabtIoUser),
        (DabtLow, MEM_ABORT, DabtUserMem),
        (IabtLow, MEM_ABORT, IabtLow),
        (Sys64, SGI, Sys64Ipi),
        (Cp15_64, SGI, Sys64Ipi),
        (Sys64, 0, Sys64),
        (Hvc64, SGI, Hvc64),
        (Interrupt, MEM_ABORT, Interrupt),
    ];
    for (class, flags, want) in cases {
        assert_eq!(refine(class, flags), want, "{class:?} {flags:#b}");
    }
}

proptest! {
    /// MMIO accounting follows KVM's counters whatever else was seen:
    /// mmio_exit_kernel is DABT_IO_MEM + DABT_IO_MEM_IPI, mmio_exit_user
    /// is DABT_IO_USER.
    #[test]
    fn mmio_seen_decides(class in 0..32usize, other in 0u8..16) {
        let class = ExitType::ALL[class];
        let k = refine(class, seen::MMIO_KERNEL | (other & !seen::MMIO_USER));
        prop_assert!(matches!(k, DabtIoMem | DabtIoMemIpi));
        let u = refine(class, seen::MMIO_USER | (other & !seen::MMIO_KERNEL));
        prop_assert_eq!(u, DabtIoUser);
    }

    /// Refinement never turns an exit into a non-exit row.
    #[test]
    fn refined_rows_are_exits(class in 0..32usize, flags in 0u8..16) {
        let class = ExitType::ALL[class];
        prop_assume!(class.is_exit());
        prop_assert!(refine(class, flags).is_exit());
    }
}
