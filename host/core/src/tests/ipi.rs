// SPDX-License-Identifier: GPL-2.0

//! Virtual IPI latency: posts, deliveries, the receiver's table, the file.

use super::{new_recorder, TEST_COUNTER};
use crate::pure::histogram::BUCKETS;
use crate::pure::ipi::*;
use crate::pure::ipi_file::{write_ipi, Cell, IpiSums};
use crate::pure::table::{Header, Scope};
use core::fmt;
use std::boxed::Box;
use std::string::String;
use std::vec::Vec;

fn zeroed<T>() -> Box<T> {
    // SAFETY: all-zero memory is a valid, empty table and sum.
    unsafe { Box::<T>::new_zeroed().assume_init() }
}

#[test]
fn an_sgi_is_delivered_by_the_first_entry_after_its_post_that_holds_it() {
    let r = new_recorder();
    let t: Box<IpiTable> = zeroed();
    // Sender 0 trapped at 100, posted at 150, to a running receiver.
    t.inbox.post(0, 100, 150, 5, IpiKind::Running);
    assert!(t.inbox.any());
    // Entered before the post: not that run.
    r.on_ipis_delivered(&t, 140, |_, _| true);
    // Entered after, but without the SGI in its list registers.
    r.on_ipis_delivered(&t, 200, |intid, _| intid != 5);
    assert!(t.inbox.any());
    // This one held it.
    r.on_ipis_delivered(&t, 300, |intid, s| intid == 5 && s == 0);
    assert!(!t.inbox.any());
    let mut b = [0u64; BUCKETS];
    let running = r.read_ipi_kind(&t, IpiKind::Running, &mut b);
    assert_eq!((running.count, running.min, running.max), (1, 200, 200));
    assert_eq!(r.read_ipi_kind(&t, IpiKind::Blocked, &mut b).count, 0);
    assert_eq!(r.read_ipi_sender(&t, 0, &mut b).count, 1);
    // The sender's next SGI, posted before the receiver's exit after the
    // entry that delivered the first: each is taken at its own exit.
    t.inbox.post(0, 310, 320, 5, IpiKind::Running);
    t.inbox.post(0, 330, 340, 5, IpiKind::Running);
    r.on_ipis_delivered(&t, 350, |_, _| true);
    assert!(!t.inbox.any());
    assert_eq!(r.read_ipi_kind(&t, IpiKind::Running, &mut b).count, 3);
    assert_eq!(r.read_ipi_sender(&t, 0, &mut b).count, 3);
    // The second waits for an entry after it.
    t.inbox.post(0, 360, 370, 5, IpiKind::Blocked);
    t.inbox.post(0, 380, 390, 5, IpiKind::Blocked);
    r.on_ipis_delivered(&t, 385, |_, _| true);
    assert!(t.inbox.any());
    r.on_ipis_delivered(&t, 400, |_, _| true);
    assert!(!t.inbox.any());
    let blocked = r.read_ipi_kind(&t, IpiKind::Blocked, &mut b);
    assert_eq!((blocked.count, blocked.min, blocked.max), (2, 20, 25));
    // Senders of ids 64 and more share a row.
    t.inbox.post(sender_slot(70), 400, 410, 1, IpiKind::InHost);
    r.on_ipis_delivered(&t, 500, |_, _| true);
    assert_eq!(r.read_ipi_sender(&t, OTHER_SENDER, &mut b).count, 1);
    // A full queue drops further posts.
    for i in 0..6 {
        t.inbox.post(1, 600 + i, 601 + i, 2, IpiKind::InHost);
    }
    r.on_ipis_delivered(&t, 700, |_, _| true);
    assert_eq!(r.read_ipi_sender(&t, 1, &mut b).count, 4);
    // A reset empties the table.
    r.request_reset(0);
    assert_eq!(r.read_ipi_kind(&t, IpiKind::Running, &mut b).count, 0);
}

#[test]
fn ipi_file_layout() {
    let r = new_recorder();
    let t: Box<IpiTable> = zeroed();
    for (i, d) in [30u64, 50].iter().enumerate() {
        let at = 1000 * i as u64;
        t.inbox.post(0, at, at + 1, 2, IpiKind::Blocked);
        r.on_ipis_delivered(&t, at + d, |_, _| true);
    }
    let mut sums: Box<IpiSums> = zeroed();
    let mut b = [0u64; BUCKETS];
    for k in IpiKind::ALL {
        let s = r.read_ipi_kind(&t, k, &mut b);
        sums.add(k, &s, &b);
    }
    let h = Header {
        kind: "ipi",
        scope: Scope::Vm {
            vm: "1-2",
            vcpus: 2,
        },
        clock: TEST_COUNTER,
        interval: 2000,
    };
    let stats = r.read_ipi_sender(&t, 0, &mut b);
    let mut matrix = |f: &mut dyn FnMut(&Cell) -> fmt::Result| {
        f(&Cell {
            sender: 0,
            receiver: 1,
            stats,
        })
    };
    let mut out = String::new();
    write_ipi(&mut out, &h, true, None, &sums, Some(&mut matrix)).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"# breakdown: on"));
    let cols = lines.iter().position(|l| l.starts_with("type")).unwrap();
    let blocked: Vec<&str> = lines[cols + 2].split_whitespace().collect();
    assert_eq!(blocked[..5], ["SGI_TO_BLOCKED", "2", "30", "50", "40"]);
    let m = lines.iter().position(|l| l.starts_with("sender")).unwrap();
    let names: Vec<&str> = lines[m].split_whitespace().collect();
    assert_eq!(
        names,
        ["sender", "receiver", "count", "min", "max", "avg", "stddev"]
    );
    let cell: Vec<&str> = lines[m + 1].split_whitespace().collect();
    assert_eq!(cell, ["0", "1", "2", "30", "50", "40", "10"]);
}
