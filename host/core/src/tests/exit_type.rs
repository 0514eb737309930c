// SPDX-License-Identifier: GPL-2.0

//! Exit types: ABI names and order.

use crate::pure::exit_type::ExitType;
use crate::pure::version;
use std::vec::Vec;

/// The table's rows, as the exit-timing issue fixes them (order is ABI).
const TABLE_ORDER: [&str; 32] = [
    "WFX",
    "CP15_32",
    "CP15_64",
    "CP14_MR",
    "CP14_LS",
    "CP14_64",
    "HVC32",
    "SMC32",
    "HVC64",
    "SMC64",
    "SYS64",
    "IABT_LOW",
    "DABT_LOW",
    "DABT_IO_MEM",
    "DABT_USER_MEM",
    "DABT_IO_MEM_IPI",
    "INTERRUPT",
    "TIMEINGUEST",
    "DESCHEDULED",
    "DABT_IO_USER",
    "SYS64_IPI",
    "FP_ASIMD",
    "SVE",
    "PAC",
    "CP10_ID",
    "DEBUG",
    "ERET",
    "SVC64",
    "SERROR",
    "IL",
    "HYP_GONE",
    "UNKNOWN",
];

#[test]
fn exit_types_are_in_table_order_with_abi_names() {
    let names: Vec<_> = ExitType::ALL.iter().map(|t| t.name()).collect();
    assert_eq!(names, TABLE_ORDER);
}

#[test]
fn discriminant_is_table_index() {
    for (i, t) in ExitType::ALL.iter().enumerate() {
        assert_eq!(*t as usize, i, "{}", t.name());
    }
    assert_eq!(ExitType::COUNT, 32);
}

#[test]
fn only_timeinguest_and_descheduled_are_not_exits() {
    let not_exits: Vec<_> = ExitType::ALL
        .iter()
        .filter(|t| !t.is_exit())
        .map(|t| t.name())
        .collect();
    assert_eq!(not_exits, ["TIMEINGUEST", "DESCHEDULED"]);
}

#[test]
fn version_matches_cargo_and_modinfo() {
    assert_eq!(version::VERSION, env!("CARGO_PKG_VERSION"));
    assert_eq!(&version::MODINFO[..], b"version=0.3.1\0");
}
