// SPDX-License-Identifier: GPL-2.0

//! Histogram buckets, their bounds, 48-bit counts and percentiles.

use crate::pure::histogram::*;
use proptest::prelude::*;
use std::boxed::Box;
use std::vec::Vec;

#[test]
fn buckets_tile_the_range_without_gaps() {
    assert_eq!(bucket_bounds(0), (0, 0));
    for i in 0..OVERFLOW {
        let (lo, hi) = bucket_bounds(i);
        assert!(lo <= hi, "bucket {i}");
        assert_eq!(bucket_of(lo), i, "lowest value of bucket {i}");
        assert_eq!(bucket_of(hi), i, "highest value of bucket {i}");
        assert_eq!(bucket_of(hi + 1), i + 1, "value after bucket {i}");
        assert_eq!(bucket_bounds(i + 1).0, hi + 1);
    }
    assert_eq!(bucket_bounds(OVERFLOW), (1 << 40, u64::MAX));
}

#[test]
fn every_value_in_a_bucket_is_within_an_eighth_of_its_lowest() {
    for i in 1..OVERFLOW {
        let (lo, hi) = bucket_bounds(i);
        assert!((hi - lo) * 8 <= lo, "bucket {i}: [{lo}, {hi}]");
        // Buckets wider than one value start at 8 times their width.
        assert!(hi == lo || (hi - lo + 1) * 8 <= lo, "bucket {i}");
    }
}

#[test]
fn range_is_one_to_two_to_the_fortieth() {
    assert_eq!(BUCKETS, 305);
    assert_eq!(bucket_of(0), 0);
    assert_eq!(bucket_of(1), 1);
    assert_eq!(bucket_of(15), 15);
    assert_eq!(bucket_of((1 << 40) - 1), OVERFLOW - 1);
    assert_eq!(bucket_of(1 << 40), OVERFLOW);
    assert_eq!(bucket_of(u64::MAX), OVERFLOW);
}

fn zeroed() -> Box<Histogram> {
    // SAFETY: all-zero memory is an empty histogram (atomics only).
    unsafe { Box::<Histogram>::new_zeroed().assume_init() }
}

fn counts(h: &Histogram) -> [u64; BUCKETS] {
    let mut out = [0; BUCKETS];
    h.add_to(&mut out);
    out
}

#[test]
fn counts_are_48_bits_wide() {
    let h = zeroed();
    h.preset(7, u32::MAX as u64);
    h.add(7);
    assert_eq!(counts(&h)[7], 1 << 32);
    h.add(7);
    assert_eq!(counts(&h)[7], (1 << 32) + 1);
    h.preset(8, (1 << 48) - 2);
    h.add(8);
    assert_eq!(counts(&h)[8], (1 << 48) - 1);
    h.clear();
    assert_eq!(counts(&h), [0; BUCKETS]);
}

/// The percentile as defined: the highest value of the bucket holding the
/// value of rank ceil(n * q), capped at the maximum.
fn reference(values: &mut Vec<u64>, per_mille: u32) -> u64 {
    values.sort_unstable();
    let n = values.len() as u64;
    let rank = ((n * per_mille as u64).div_ceil(1000)).max(1);
    let v = values[rank as usize - 1];
    bucket_bounds(bucket_of(v)).1.min(*values.last().unwrap())
}

#[test]
fn percentiles_of_known_data() {
    let h = zeroed();
    for v in 1..=100u64 {
        h.add(bucket_of(v));
    }
    let b = counts(&h);
    // Rank 50 is value 50, in bucket [48, 51]; rank 90 in [88, 95];
    // ranks 99 and 100 in [96, 103], capped at the maximum.
    assert_eq!(percentile(&b, P50, 100), 51);
    assert_eq!(percentile(&b, P90, 100), 95);
    assert_eq!(percentile(&b, P99, 100), 100);
    assert_eq!(percentile(&b, P999, 100), 100);
    assert_eq!(percentile(&[0; BUCKETS], P50, 0), 0);
}

#[test]
fn percentile_of_huge_counts_does_not_overflow() {
    let mut b = [0u64; BUCKETS];
    b[3] = u64::MAX / 2;
    b[9] = u64::MAX / 2;
    assert_eq!(percentile(&b, P50, 9), 3);
    assert_eq!(percentile(&b, P999, 9), 9);
}

proptest! {
    #[test]
    fn value_lies_in_its_bucket(v in any::<u64>()) {
        let (lo, hi) = bucket_bounds(bucket_of(v));
        prop_assert!(lo <= v && v <= hi);
    }

    #[test]
    fn percentiles_match_the_definition(
        mut values in proptest::collection::vec(
            prop_oneof![0u64..64, 0u64..100_000, any::<u64>()], 1..300),
        per_mille in prop_oneof![Just(P50), Just(P90), Just(P99), Just(P999), 1u32..=1000],
    ) {
        let h = zeroed();
        for &v in &values {
            h.add(bucket_of(v));
        }
        let max = *values.iter().max().unwrap();
        let got = percentile(&counts(&h), per_mille, max);
        prop_assert_eq!(got, reference(&mut values, per_mille));
        // Inside the bucket of the true percentile, never below it.
        let n = values.len() as u64;
        let truth = values[((n * per_mille as u64).div_ceil(1000)).max(1) as usize - 1];
        let (lo, hi) = bucket_bounds(bucket_of(truth));
        prop_assert!(truth <= got && lo <= got && got <= hi);
    }

    #[test]
    fn one_pass_gives_each_percentile(
        values in proptest::collection::vec(
            prop_oneof![0u64..64, 0u64..100_000, any::<u64>()], 0..300),
    ) {
        let h = zeroed();
        for &v in &values {
            h.add(bucket_of(v));
        }
        let b = counts(&h);
        let max = values.iter().copied().max().unwrap_or(0);
        let all = [P50, P90, P99, P999];
        let want = all.map(|p| percentile(&b, p, max));
        prop_assert_eq!(percentiles(&b, values.len() as u64, all, max), want);
    }
}
