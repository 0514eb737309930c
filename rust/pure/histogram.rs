// SPDX-License-Identifier: GPL-2.0

//! A log-linear histogram of durations, in clock ticks.
//!
//! Values below 16 have a bucket each. Above, every power of two is split
//! into 8 equal buckets, so a bucket is never wider than 1/8 (12.5%) of
//! its lowest value. Buckets go up to 2^40 - 1 ticks; one overflow bucket
//! holds everything longer. Bucket counts are 48 bits wide (a 32-bit low
//! part and a 16-bit carry), enough for 2^48 exits of one duration.

use core::sync::atomic::{AtomicU16, AtomicU32, Ordering::Relaxed};

/// Linear sub-buckets per power of two, as a shift: 8.
const SUB_BITS: u32 = 3;
/// Values from 2^RANGE_BITS up share the overflow bucket.
pub(crate) const RANGE_BITS: u32 = 40;
/// Index of the overflow bucket.
pub(crate) const OVERFLOW: usize = ((RANGE_BITS - SUB_BITS + 1) << SUB_BITS) as usize;
/// Number of buckets: 304 regular ones and the overflow bucket.
pub(crate) const BUCKETS: usize = OVERFLOW + 1;

/// The bucket a duration falls in. Branch-free: it runs on every exit.
#[inline(always)]
pub(crate) fn bucket_of(v: u64) -> usize {
    // shift = floor(log2 v) - SUB_BITS, and 0 below 2^(SUB_BITS + 1),
    // where the bucket is v itself: setting the low bits does both.
    let shift = 63 - SUB_BITS - (v | ((2 << SUB_BITS) - 1)).leading_zeros();
    let index = ((shift as u64) << SUB_BITS) + (v >> shift);
    (index as usize).min(OVERFLOW)
}

/// The lowest and highest value (inclusive) of bucket `i`.
pub(crate) const fn bucket_bounds(i: usize) -> (u64, u64) {
    if i >= OVERFLOW {
        return (1 << RANGE_BITS, u64::MAX);
    }
    let shift = if i < (2 << SUB_BITS) {
        0
    } else {
        (i >> SUB_BITS) as u32 - 1
    };
    let lo = if shift == 0 {
        i as u64
    } else {
        (((i as u64) & ((1 << SUB_BITS) - 1)) | (1 << SUB_BITS)) << shift
    };
    (lo, lo + (1 << shift) - 1)
}

/// Bucket counts of one row, updated by a single writer.
pub(crate) struct Histogram {
    low: [AtomicU32; BUCKETS],
    carry: [AtomicU16; BUCKETS],
}

impl Histogram {
    /// Counts one value in bucket `i` (from [`bucket_of`]).
    #[inline(always)]
    pub(crate) fn add(&self, i: usize) {
        let low = self.low[i].load(Relaxed).wrapping_add(1);
        self.low[i].store(low, Relaxed);
        if low == 0 {
            let carry = &self.carry[i];
            carry.store(carry.load(Relaxed).wrapping_add(1), Relaxed);
        }
    }

    /// Adds the bucket counts to `out` (one `u64` per bucket).
    pub(crate) fn add_to(&self, out: &mut [u64; BUCKETS]) {
        for (i, o) in out.iter_mut().enumerate() {
            let low = self.low[i].load(Relaxed) as u64;
            let carry = self.carry[i].load(Relaxed) as u64;
            *o = o.wrapping_add(carry << 32 | low);
        }
    }

    /// Sets bucket `i` to `count`, to test counts near the carry.
    #[cfg(test)]
    pub(crate) fn preset(&self, i: usize, count: u64) {
        self.low[i].store(count as u32, Relaxed);
        self.carry[i].store((count >> 32) as u16, Relaxed);
    }

    pub(crate) fn clear(&self) {
        for i in 0..BUCKETS {
            self.low[i].store(0, Relaxed);
            self.carry[i].store(0, Relaxed);
        }
    }
}

/// Percentiles the tables show, in tenths of a percent.
pub(crate) const P50: u32 = 500;
pub(crate) const P90: u32 = 900;
pub(crate) const P99: u32 = 990;
pub(crate) const P999: u32 = 999;

/// The `per_mille` percentile of the values counted in `buckets`: the
/// highest value of the bucket that holds the value of rank
/// ceil(count * per_mille / 1000), capped at `max`, the largest value
/// seen. At least that share of the values are at or below the result,
/// which is at most 12.5% above the true percentile. 0 if empty. The
/// tables use [`percentiles`]; this is its definition, for the tests.
#[cfg(test)]
pub(crate) fn percentile(buckets: &[u64; BUCKETS], per_mille: u32, max: u64) -> u64 {
    let count = buckets.iter().fold(0u64, |a, &c| a.saturating_add(c));
    percentiles(buckets, count, [per_mille], max)[0]
}

/// The percentiles `per_mille` (in ascending order) of the `count` values
/// counted in `buckets`, each as [`percentile`] defines it, in one pass
/// that stops at the bucket of the last one.
pub(crate) fn percentiles<const N: usize>(
    buckets: &[u64; BUCKETS],
    count: u64,
    per_mille: [u32; N],
    max: u64,
) -> [u64; N] {
    let mut out = [0u64; N];
    if count == 0 {
        return out;
    }
    // ceil(count * per_mille / 1000) without overflow or 128-bit division
    // (the kernel has none): count = 1000 * a + b.
    let ranks = per_mille.map(|p| {
        let p = p as u64;
        ((count / 1000) * p + ((count % 1000) * p).div_ceil(1000)).max(1)
    });
    let (mut next, mut seen) = (0, 0u64);
    for (i, &c) in buckets.iter().enumerate() {
        seen = seen.saturating_add(c);
        while next < N && seen >= ranks[next] {
            out[next] = bucket_bounds(i).1.min(max);
            next += 1;
        }
        if next == N {
            return out;
        }
    }
    for o in out[next..].iter_mut() {
        *o = max;
    }
    out
}
