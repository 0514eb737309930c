// SPDX-License-Identifier: GPL-2.0

//! Row accumulators: exact sums, overflow edges, derived statistics.

use crate::pure::row::{Row, RowStats};
use crate::pure::wide::U256;
use num_bigint::BigUint;
use proptest::prelude::*;
use std::boxed::Box;
use std::vec::Vec;

fn zeroed() -> Box<Row> {
    // SAFETY: all-zero memory is an empty row (atomics only).
    unsafe { Box::<Row>::new_zeroed().assume_init() }
}

fn record_all(values: &[u64]) -> RowStats {
    let row = zeroed();
    for &v in values {
        row.record(v);
    }
    row.read(values.len() as u64)
}

fn big(v: U256) -> BigUint {
    v.0.iter()
        .rev()
        .fold(BigUint::default(), |n, &l| (n << 64u32) + BigUint::from(l))
}

/// floor(sqrt(population variance)), in exact arithmetic.
fn reference_stddev(values: &[u64]) -> u64 {
    let n = BigUint::from(values.len());
    let s1: BigUint = values.iter().map(|&v| BigUint::from(v)).sum();
    let s2: BigUint = values
        .iter()
        .map(|&v| BigUint::from(v) * BigUint::from(v))
        .sum();
    let var = (&n * s2 - &s1 * &s1) / (&n * &n);
    var.sqrt().try_into().unwrap()
}

#[test]
fn empty_row_reads_as_zeros() {
    assert_eq!(zeroed().read(0), RowStats::default());
    assert_eq!(RowStats::default().avg(), 0);
    assert_eq!(RowStats::default().stddev(), 0);
}

#[test]
fn known_values() {
    let s = record_all(&[10, 20, 30, 40]);
    assert_eq!((s.count, s.total, s.min, s.max), (4, 100, 10, 40));
    assert_eq!(s.avg(), 25);
    assert_eq!(s.stddev(), 11); // sqrt(125) = 11.18
    assert_eq!(big(s.sum_sq), BigUint::from(3000u32));
    let s = record_all(&[0, 2]);
    assert_eq!((s.min, s.max, s.avg(), s.stddev()), (0, 2, 1, 1));
    assert_eq!(record_all(&[7; 9]).stddev(), 0);
}

#[test]
fn sum_of_squares_carries_across_all_limbs() {
    let s = record_all(&[u64::MAX; 3]);
    let m = BigUint::from(u64::MAX);
    assert_eq!(big(s.sum_sq), BigUint::from(3u32) * &m * &m);
    assert_eq!(
        (s.min, s.max, s.stddev(), s.avg()),
        (u64::MAX, u64::MAX, 0, u64::MAX)
    );
    assert_eq!(s.total, u64::MAX as u128 * 3);
}

#[test]
fn short_squares_carry_into_the_upper_limbs() {
    // u64::MAX leaves the middle limb at 2^64 - 2; squares of 2^32 - 1
    // (the 64-bit path) then carry into it, and through it into the top.
    let short = u32::MAX as u64;
    let values = [u64::MAX, short, short, short, short, 1 << 32, short];
    let s = record_all(&values);
    let s2: BigUint = values
        .iter()
        .map(|&v| BigUint::from(v) * BigUint::from(v))
        .sum();
    assert_eq!(big(s.sum_sq), s2);
    assert_eq!(s.stddev(), reference_stddev(&values));
}

#[test]
fn stddev_at_the_extremes() {
    // Half zeros, half maximum: stddev is half the maximum.
    let s = record_all(&[0, u64::MAX, 0, u64::MAX]);
    assert_eq!(s.stddev(), u64::MAX / 2);
    assert_eq!(s.min, 0);
}

#[test]
fn merge_saturates_instead_of_wrapping() {
    let mut a = RowStats {
        count: u64::MAX,
        total: u128::MAX,
        min: 1,
        max: 2,
        sum_sq: U256([u64::MAX; 4]),
    };
    a.merge(&RowStats {
        count: 5,
        total: 5,
        min: 0,
        max: 9,
        sum_sq: U256::from_u128(5),
    });
    assert_eq!(
        (a.count, a.total, a.min, a.max),
        (u64::MAX, u128::MAX, 0, 9)
    );
    assert_eq!(a.sum_sq, U256([u64::MAX; 4]));
}

proptest! {
    #[test]
    fn matches_a_reference(values in proptest::collection::vec(
        prop_oneof![0u64..1000, any::<u64>()], 1..200)) {
        let s = record_all(&values);
        prop_assert_eq!(s.count, values.len() as u64);
        let total: u128 = values.iter().map(|&v| v as u128).sum();
        prop_assert_eq!(s.total, total);
        prop_assert_eq!(s.min, *values.iter().min().unwrap());
        prop_assert_eq!(s.max, *values.iter().max().unwrap());
        let s2: BigUint = values.iter().map(|&v| BigUint::from(v) * BigUint::from(v)).sum();
        prop_assert_eq!(big(s.sum_sq), s2);
        prop_assert_eq!(s.stddev(), reference_stddev(&values));
        prop_assert!(s.min <= s.avg() && s.avg() <= s.max);
    }

    #[test]
    fn matches_a_reference_around_the_short_square_limit(values in proptest::collection::vec(
        prop_oneof![(1u64 << 32) - 64..(1u64 << 32) + 64, 0u64..1 << 32], 1..300)) {
        let s = record_all(&values);
        let s2: BigUint = values.iter().map(|&v| BigUint::from(v) * BigUint::from(v)).sum();
        prop_assert_eq!(big(s.sum_sq), s2);
        prop_assert_eq!(s.stddev(), reference_stddev(&values));
    }

    #[test]
    fn merging_equals_recording_together(
        a in proptest::collection::vec(0u64..1 << 40, 0..50),
        b in proptest::collection::vec(0u64..1 << 40, 0..50),
    ) {
        let mut merged = record_all(&a);
        merged.merge(&record_all(&b));
        let all: Vec<u64> = a.iter().chain(b.iter()).copied().collect();
        prop_assert_eq!(merged, record_all(&all));
    }
}
