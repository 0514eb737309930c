// SPDX-License-Identifier: GPL-2.0

//! Breakdowns: keys from syndromes and x0, their names, the per-vCPU
//! tables the recorder fills, their sums and their files.

use super::{new_recorder, TEST_COUNTER};
use crate::pure::breakdown::*;
use crate::pure::breakdown_file::write_breakdown;
use crate::pure::breakdown_sums::{KeyedSums, SUM_KEYS};
use crate::pure::classify::{ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP};
use crate::pure::exit_type::ExitType::{self, *};
use crate::pure::histogram::BUCKETS;
use crate::pure::host_irq::IrqLabel;
use crate::pure::key_names::key_columns;
use crate::pure::table::{Header, Scope};
use std::boxed::Box;
use std::format;
use std::string::String;
use std::vec::Vec;

/// A zeroed value, as the kernel allocates these.
fn zeroed<T>() -> Box<T> {
    // SAFETY: all-zero memory is valid for the tables and sums (their
    // documented contract).
    unsafe { Box::<T>::new_zeroed().assume_init() }
}

/// The syndrome of an MRS (`read`) or MSR of op0..op2 into/from x`rt`.
fn sys64(op0: u64, op1: u64, crn: u64, crm: u64, op2: u64, rt: u64, read: bool) -> u64 {
    0x18 << 26
        | 1 << 25
        | op0 << 20
        | op2 << 17
        | op1 << 14
        | crn << 10
        | rt << 5
        | crm << 1
        | read as u64
}

fn name(row: ExitType, key: u32) -> (String, String) {
    let (n, d) = key_columns(row, key);
    (format!("{n}"), format!("{d}"))
}

#[test]
fn sysreg_keys_ignore_the_transfer_register_and_name_the_register() {
    let a = sys64(3, 0, 0, 4, 0, 1, true);
    let b = sys64(3, 0, 0, 4, 0, 7, true);
    let ka = key_of(Sys64, a, || unreachable!(), || unreachable!());
    assert_eq!(ka, key_of(Sys64, b, || unreachable!(), || unreachable!()));
    assert_ne!(
        ka,
        key_of(
            Sys64,
            sys64(3, 0, 0, 4, 0, 1, false),
            || 0,
            || unreachable!()
        )
    );
    assert_eq!(name(Sys64, ka), ("ID_AA64PFR0_EL1".into(), "read".into()));
    let sgi = key_of(
        Sys64,
        sys64(3, 0, 12, 11, 5, 3, false),
        || 0,
        || unreachable!(),
    );
    assert_eq!(
        name(Sys64Ipi, sgi),
        ("ICC_SGI1R_EL1".into(), "write".into())
    );
    let ctl = key_of(
        Sys64,
        sys64(3, 3, 14, 2, 1, 0, false),
        || 0,
        || unreachable!(),
    );
    assert_eq!(name(Sys64, ctl).0, "CNTP_CTL_EL0");
    // Not in the table: by encoding.
    let odd = key_of(
        Sys64,
        sys64(3, 4, 15, 2, 3, 0, true),
        || 0,
        || unreachable!(),
    );
    assert_eq!(name(Sys64, odd).0, "S3_4_C15_C2_3");
}

#[test]
fn hypercall_keys_are_function_ids() {
    let psci = key_of(
        Hvc64,
        0x16 << 26,
        || 0xffff_ffff_8400_0000,
        || unreachable!(),
    );
    assert_eq!(psci, 0x8400_0000);
    assert_eq!(
        name(Hvc64, psci),
        ("PSCI_VERSION".into(), "0x84000000".into())
    );
    assert_eq!(name(Smc64, 0x8000_0001).0, "SMCCC_ARCH_FEATURES");
    assert_eq!(name(Hvc64, 0xc400_0003).0, "PSCI_CPU_ON");
    assert_eq!(name(Hvc32, 0x8600_0001).0, "KVM_PTP");
    assert_eq!(
        name(Hvc64, 0x1234_5678),
        ("0x12345678".into(), "0x12345678".into())
    );
}

#[test]
fn wfx_keys_say_which_instruction() {
    for (ti, n) in [(0, "WFI"), (1, "WFE"), (2, "WFIT"), (3, "WFET")] {
        let k = key_of(
            Wfx,
            0x01 << 26 | 1 << 25 | ti,
            || unreachable!(),
            || unreachable!(),
        );
        assert_eq!(name(Wfx, k), (n.into(), "-".into()));
    }
}

#[test]
fn mmio_keys_say_where_how_and_how_much() {
    // A 4-byte read of 0x0800_0004 (ISV, SAS = 2), then its device.
    let esr = 0x24 << 26 | 1 << 24 | 2 << 22;
    let k = key_of(DabtLow, esr, || unreachable!(), || 0x0800_0004);
    let k = k | MmioDevice::Gicd.key_bits();
    assert_eq!(
        name(DabtIoMem, k),
        ("GICD@0x8000000".into(), "read4".into())
    );
    // An 8-byte write to user MMIO at 0xa001_0000.
    let esr = 0x24 << 26 | 1 << 24 | 3 << 22 | 1 << 6;
    let k = key_of(DabtLow, esr, || unreachable!(), || 0xa001_0000) | MmioDevice::Vmm.key_bits();
    assert_eq!(
        name(DabtIoUser, k),
        ("VMM@0xa0010000".into(), "write8".into())
    );
    assert_eq!(Breakdown::of(DabtIoMemIpi), Some(Breakdown::Mmio));
}

#[test]
fn breakdowns_cover_their_rows() {
    assert_eq!(Breakdown::of(Sys64Ipi), Some(Breakdown::Sysregs));
    assert_eq!(Breakdown::of(Cp15_64), Some(Breakdown::Sysregs));
    assert_eq!(Breakdown::of(Smc32), Some(Breakdown::Hypercalls));
    assert_eq!(Breakdown::of(Wfx), Some(Breakdown::Wfx));
    assert_eq!(Breakdown::of(DabtIoMem), Some(Breakdown::Mmio));
    assert_eq!(Breakdown::of(DabtUserMem), None);
    assert_eq!(switch_bit(b"hypercalls"), Some(Breakdown::Hypercalls.bit()));
    assert_eq!(switch_bit(b"ipi"), Some(IPI_BIT));
    assert_eq!(switch_bit(b"hypercall"), None);
}

/// `n` exits of each of `keys` through a recorder with the sysregs table,
/// each taking `d` ticks.
fn record_sysregs(
    keys: &[u64],
    n: u64,
    d: u64,
) -> (Box<crate::pure::recorder::VcpuRecorder>, Box<KeyTable>) {
    let r = new_recorder();
    let t: Box<KeyTable> = zeroed();
    let tables = Tables {
        tables: [Some(&*t), None, None, None, None],
        on: Breakdown::Sysregs.bit(),
    };
    let mut now = 1000;
    for &esr in keys {
        for _ in 0..n {
            let key = |class| key_of(class, esr, || 0, || unreachable!());
            r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_TRAP, esr, key, tables);
            now += d;
        }
    }
    r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_IRQ, 0, |_| 0, tables);
    (r, t)
}

#[test]
fn the_recorder_adds_each_exit_to_its_key_and_the_rest_to_other() {
    // 20 registers: 16 get rows, 4 go to OTHER.
    let keys: Vec<u64> = (0..20)
        .map(|i| sys64(3, 0, 0, 1 + i / 8, i % 8, 0, true))
        .collect();
    let (r, t) = record_sysregs(&keys, 3, 50);
    let mut b = [0u64; BUCKETS];
    let mut sum = 0;
    for i in 0..KEYS {
        let (k, s) = r.read_slot(&t, i, &mut b);
        assert_eq!(k.get().map(|(row, _)| row), Some(Sys64));
        assert_eq!((s.count, s.min, s.max), (3, 40, 40)); // each exit ends 10 before the next
        sum += s.count;
    }
    let (k, s) = r.read_slot(&t, OTHER, &mut b);
    assert_eq!((k, s.count), (SlotKey::FREE, 12));
    sum += s.count;
    // The breakdown adds up to the row it breaks down.
    assert_eq!(sum, r.read_row(Sys64, &mut b).count);
    // A reset empties the table with the rows.
    r.request_reset(0);
    assert_eq!(r.read_slot(&t, 0, &mut b).1.count, 0);
    let tables = Tables {
        tables: [Some(&*t), None, None, None, None],
        on: Breakdown::Sysregs.bit(),
    };
    r.on_exit_keyed(1, 2, ARM_EXCEPTION_IRQ, 0, |_| 0, tables);
    r.on_exit_keyed(3, 4, ARM_EXCEPTION_IRQ, 0, |_| 0, tables);
    assert_eq!(
        r.read_slot(&t, 0, &mut b),
        (SlotKey::FREE, Default::default())
    );
}

#[test]
fn a_reset_while_a_breakdown_is_off_empties_its_table_too() {
    let (r, t) = record_sysregs(&[sys64(3, 0, 0, 4, 0, 0, true)], 5, 30);
    let mut b = [0u64; BUCKETS];
    assert_eq!(r.read_slot(&t, 0, &mut b).1.count, 5);
    r.request_reset(0);
    // Applied by probes without the table (the breakdown is off).
    r.on_exit(1, 2, ARM_EXCEPTION_IRQ, 0);
    r.on_exit(3, 4, ARM_EXCEPTION_IRQ, 0);
    assert_eq!(r.read_row(Interrupt, &mut b).count, 1);
    assert_eq!(
        r.read_slot(&t, 0, &mut b),
        (SlotKey::FREE, Default::default())
    );
    // On again: the table starts empty.
    let tables = Tables {
        tables: [Some(&*t), None, None, None, None],
        on: Breakdown::Sysregs.bit(),
    };
    let esr = sys64(3, 0, 0, 4, 1, 0, true);
    r.on_exit_keyed(
        5,
        6,
        ARM_EXCEPTION_TRAP,
        esr,
        |c| key_of(c, esr, || 0, || unreachable!()),
        tables,
    );
    r.on_exit_keyed(7, 8, ARM_EXCEPTION_IRQ, 0, |_| 0, tables);
    let (k, s) = r.read_slot(&t, 0, &mut b);
    assert_eq!(s.count, 1);
    assert_eq!(key_columns_of(k).0, "ID_AA64PFR1_EL1");
    assert_eq!(r.read_slot(&t, 1, &mut b).1.count, 0);
}

fn key_columns_of(k: SlotKey) -> (String, String) {
    let (row, key) = k.get().unwrap();
    name(row, key)
}

#[test]
fn sums_merge_by_key_and_overflow_into_other() {
    let keys: Vec<u64> = (0..4).map(|i| sys64(3, 0, 0, 2, i, 0, true)).collect();
    let (r, t) = record_sysregs(&keys, 2, 40);
    let mut s: Box<KeyedSums> = zeroed();
    let mut scratch = [0u64; BUCKETS];
    s.absorb(&r, &t, &mut scratch);
    s.absorb(&r, &t, &mut scratch);
    let mut rows = Vec::new();
    s.for_each_row::<()>(|k, st, _| {
        rows.push((k, st.count));
        Ok(())
    })
    .unwrap();
    assert_eq!(rows.len(), 5);
    assert!(rows[..4].iter().all(|&(k, n)| k != SlotKey::FREE && n == 4));
    assert!(
        rows.windows(2).take(3).all(|w| w[0].0 < w[1].0),
        "sorted by key"
    );
    assert_eq!(rows[4], (SlotKey::FREE, 0));
    // More keys than a sum holds.
    let mut big: Box<KeyedSums> = zeroed();
    let one = r.read_row(Sys64, &mut scratch);
    for i in 0..SUM_KEYS as u32 + 3 {
        big.add(SlotKey::new(Sys64, i), &one, &scratch);
    }
    let mut other = 0;
    big.for_each_row::<()>(|k, st, _| {
        if k == SlotKey::FREE {
            other = st.count;
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(other, 3 * one.count);
}

#[test]
fn breakdown_file_layout() {
    let keys = [
        sys64(3, 0, 0, 4, 0, 0, true),
        sys64(3, 0, 12, 11, 5, 0, false),
    ];
    let (r, t) = record_sysregs(&keys, 2, 30);
    let mut s: Box<KeyedSums> = zeroed();
    let mut scratch = [0u64; BUCKETS];
    s.absorb(&r, &t, &mut scratch);
    let h = Header {
        kind: "sysregs",
        scope: Scope::Vcpu { vm: "1-2", vcpu: 0 },
        clock: TEST_COUNTER,
        interval: 1000,
    };
    let mut out = String::new();
    write_breakdown(
        &mut out,
        &h,
        Breakdown::Sysregs,
        true,
        &s,
        &IrqLabel::unnamed,
    )
    .unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].ends_with(" sysregs"));
    assert!(lines.contains(&"# breakdown: on"));
    let cols = lines.iter().position(|l| l.starts_with("type")).unwrap();
    let names: Vec<&str> = lines[cols].split_whitespace().collect();
    assert_eq!(
        names,
        [
            "type", "key", "detail", "count", "min", "max", "avg", "total", "stddev", "p50", "p99",
            "count/s", "total/s"
        ]
    );
    let rows: Vec<Vec<&str>> = lines[cols + 1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        rows[0][..6],
        ["SYS64", "ID_AA64PFR0_EL1", "read", "2", "20", "20"]
    );
    assert_eq!(rows[1][..4], ["SYS64", "ICC_SGI1R_EL1", "write", "2"]);
    assert_eq!(rows[2][..4], ["OTHER", "OTHER", "-", "0"]);
    for l in &lines[cols..] {
        assert_eq!(l.len(), lines[cols].len(), "aligned: {l}");
    }
    let mut off = String::new();
    write_breakdown(
        &mut off,
        &h,
        Breakdown::Wfx,
        false,
        &zeroed(),
        &IrqLabel::unnamed,
    )
    .unwrap();
    assert!(off.contains("# breakdown: off (write 'breakdown wfx on' to control)\n"));
}
