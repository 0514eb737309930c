// SPDX-License-Identifier: GPL-2.0

//! The `interrupts` breakdown: keying INTERRUPT exits by host IRQ, and the
//! IRQs' names.

use super::{new_recorder, TEST_COUNTER};
use crate::pure::breakdown::*;
use crate::pure::breakdown_file::write_breakdown;
use crate::pure::breakdown_sums::KeyedSums;
use crate::pure::classify::{ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP};
use crate::pure::exit_type::ExitType::*;
use crate::pure::histogram::BUCKETS;
use crate::pure::host_irq::*;
use crate::pure::table::{Header, Scope};
use std::boxed::Box;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

fn zeroed<T>() -> Box<T> {
    // SAFETY: all-zero memory is an empty `IrqNames`, `KeyTable` and
    // `KeyedSums` (their documented contract).
    unsafe { Box::<T>::new_zeroed().assume_init() }
}

fn columns(names: &IrqNames, irq: u32) -> (String, String) {
    let l = names.label(irq);
    let cols = (l.name().to_string(), l.detail().to_string());
    cols
}

#[test]
fn devices_are_named_after_their_handler_and_ipis_after_their_kind() {
    let n: Box<IrqNames> = zeroed();
    assert!(!n.knows(11));
    n.name_device(11, b"arch_timer");
    n.name_device(12, b"kvm guest vtimer");
    n.name_ipi(1, b"Rescheduling interrupts");
    n.name_ipi(5, b"Timer broadcast interrupts");
    n.name_ipi(9, b"Some new kind");
    assert!(n.knows(11) && n.knows(1));
    assert_eq!(columns(&n, 11), ("arch_timer".into(), "irq11".into()));
    assert_eq!(columns(&n, 12).0, "kvm_guest_vtimer");
    assert_eq!(columns(&n, 1), ("IPI_RESCHEDULE".into(), "irq1".into()));
    // Longer than what is kept, still recognised.
    assert_eq!(columns(&n, 5).0, "IPI_TIMER");
    assert_eq!(columns(&n, 9).0, "IPI_Some_new_kind");
    // No handler ran, or the name was not kept.
    assert_eq!(columns(&n, NO_IRQ), ("NONE".into(), "-".into()));
    assert_eq!(columns(&n, 40), ("IRQ".into(), "irq40".into()));
    // The first name stays.
    n.name_device(11, b"other");
    assert_eq!(columns(&n, 11).0, "arch_timer");
}

#[test]
fn names_are_cut_and_made_one_word() {
    let n: Box<IrqNames> = zeroed();
    let long = [b'x'; 40];
    n.name_device(3, &long);
    assert_eq!(columns(&n, 3).0, "x".repeat(NAME_BYTES));
    n.name_device(4, b"a b\tc/d:e-f.g");
    assert_eq!(columns(&n, 4).0, "a_b_c_d:e-f.g");
}

#[test]
fn colliding_irqs_take_the_next_slots_until_the_table_is_full() {
    let n: Box<IrqNames> = zeroed();
    // All start at the same slot.
    for i in 0..IRQ_SLOTS as u32 {
        n.name_device(7 + i * IRQ_SLOTS as u32, format!("d{i}").as_bytes());
    }
    for i in 0..IRQ_SLOTS as u32 {
        assert_eq!(columns(&n, 7 + i * IRQ_SLOTS as u32).0, format!("d{i}"));
    }
    // Full: a new IRQ keeps no name, and lookups of others still end.
    n.name_device(8, b"late");
    assert!(!n.knows(8));
    assert_eq!(columns(&n, 8).0, "IRQ");
}

fn tables(t: &KeyTable) -> Tables<'_> {
    Tables {
        tables: [None, None, None, None, Some(t)],
        on: Breakdown::Interrupts.bit(),
    }
}

#[test]
fn the_first_host_irq_after_an_interrupt_exit_keys_it() {
    let r = new_recorder();
    let t: Box<KeyTable> = zeroed();
    let on = tables(&t);
    // Three INTERRUPT exits: the timer's (then an IPI, too late to
    // count), an IPI's, and one no handler was seen for.
    let mut now = 100;
    for irqs in [&[11u32, 1][..], &[1], &[]] {
        r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_IRQ, 0, |_| 0, on);
        assert_eq!(r.pending_interrupt(), Some(NO_IRQ));
        for (i, &irq) in irqs.iter().enumerate() {
            assert_eq!(r.on_host_irq(irq), i == 0);
        }
        now += 50;
    }
    // A trap is not keyed by a host IRQ taken while it is handled.
    r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_TRAP, 0x5a00_0000, |_| 0, on);
    assert_eq!(r.pending_interrupt(), None);
    assert!(!r.on_host_irq(11));
    r.on_exit_keyed(now + 10, now + 20, ARM_EXCEPTION_IRQ, 0, |_| 0, on);

    let mut b = [0u64; BUCKETS];
    let mut got = Vec::new();
    for i in 0..=OTHER {
        let (k, s) = r.read_slot(&t, i, &mut b);
        if s.count != 0 {
            got.push((k.get(), s.count, s.min));
        }
    }
    assert_eq!(
        got,
        [
            (Some((Interrupt, 11)), 1, 40),
            (Some((Interrupt, 1)), 1, 40),
            (Some((Interrupt, NO_IRQ)), 1, 40),
        ]
    );
    assert_eq!(r.read_row(Interrupt, &mut b).count, 3);
}

#[test]
fn the_file_names_interrupts_by_the_registry() {
    let r = new_recorder();
    let t: Box<KeyTable> = zeroed();
    let on = tables(&t);
    let n: Box<IrqNames> = zeroed();
    n.name_device(11, b"arch_timer");
    n.name_ipi(1, b"Rescheduling interrupts");
    let mut now = 100;
    for irq in [11, 11, 1, 30] {
        r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_IRQ, 0, |_| 0, on);
        r.on_host_irq(irq);
        now += 50;
    }
    r.on_exit_keyed(now - 10, now, ARM_EXCEPTION_TRAP, 0x5a00_0000, |_| 0, on);
    let mut s: Box<KeyedSums> = zeroed();
    s.absorb(&r, &t, &mut [0u64; BUCKETS]);
    let h = Header {
        kind: "interrupts",
        scope: Scope::Vcpu { vm: "1-2", vcpu: 0 },
        clock: TEST_COUNTER,
        interval: 1000,
    };
    let mut out = String::new();
    write_breakdown(&mut out, &h, Breakdown::Interrupts, true, &s, &|irq| {
        n.label(irq)
    })
    .unwrap();
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip_while(|l| !l.starts_with("type"))
        .skip(1)
        .map(|l| l.split_whitespace().collect())
        .collect();
    let keys: Vec<&[&str]> = rows.iter().map(|r| &r[..4]).collect();
    assert_eq!(
        keys,
        [
            &["INTERRUPT", "IPI_RESCHEDULE", "irq1", "1"][..],
            &["INTERRUPT", "arch_timer", "irq11", "2"],
            &["INTERRUPT", "IRQ", "irq30", "1"],
            &["OTHER", "OTHER", "-", "0"],
        ]
    );
}
