// SPDX-License-Identifier: GPL-2.0

//! Sums over vCPUs and what destroyed VMs leave behind.

use super::new_recorder;
use crate::pure::classify::{ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP};
use crate::pure::exit_type::ExitType::*;
use crate::pure::histogram::{bucket_of, BUCKETS};
use crate::pure::totals::{sum_row, Totals};
use std::boxed::Box;

#[test]
fn sums_and_absorbed_totals_agree() {
    let (a, b) = (new_recorder(), new_recorder());
    for (r, d) in [(&a, 5u64), (&b, 100)] {
        r.on_exit(0, 10, ARM_EXCEPTION_IRQ, 0);
        r.on_exit(10 + d, 20 + d, ARM_EXCEPTION_TRAP, 0x16 << 26);
    }
    let (mut sum, mut scratch) = ([0u64; BUCKETS], [0u64; BUCKETS]);
    let s = sum_row(Interrupt, [&*a, &*b], &mut sum, &mut scratch);
    assert_eq!((s.count, s.total, s.min, s.max), (2, 105, 5, 100));
    assert_eq!(sum[bucket_of(5)] + sum[bucket_of(100)], 2);

    // SAFETY: all-zero memory is empty totals (integers only).
    let mut t = unsafe { Box::<Totals>::new_zeroed().assume_init() };
    t.absorb(&a, &mut scratch);
    t.absorb(&b, &mut scratch);
    let (mut stats, mut buckets) = (Default::default(), [0u64; BUCKETS]);
    t.add_row_to(Interrupt, &mut stats, &mut buckets);
    assert_eq!(stats, s);
    assert_eq!(buckets, sum);
    t.clear();
    let mut stats = Default::default();
    t.add_row_to(TimeInGuest, &mut stats, &mut buckets);
    assert_eq!(stats, crate::pure::row::RowStats::default());
}
