// SPDX-License-Identifier: GPL-2.0

//! The statistics of one row (one exit type) of one vCPU.
//!
//! A single writer, the vCPU's own thread, updates a [`Row`] on every exit;
//! readers copy it under the vCPU's sequence count (see `recorder.rs`). The
//! fields are atomics so that those racing copies are sound; relaxed loads
//! and stores compile to plain ones.

use super::wide::{div_rem_u128, isqrt_u128, U256};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Total, min, max and sum of squares of durations, in ticks; the count
/// is the sum of the row's histogram (see `recorder.rs`), which saves an
/// update on every exit. There are fewer than 2^64 durations, each below
/// 2^64, so the total (128 bits) and the sum of squares (192 bits) cannot
/// overflow.
pub(crate) struct Row {
    /// Least significant limb first.
    total: [AtomicU64; 2],
    /// The minimum, bit-inverted so that all-zero memory is an empty row.
    min_inverted: AtomicU64,
    max: AtomicU64,
    /// Least significant limb first.
    sum_sq: [AtomicU64; 3],
}

impl Row {
    /// Adds one duration. Only the row's single writer may call this.
    #[inline(always)]
    pub(crate) fn record(&self, d: u64) {
        let t0 = self.total[0].load(Relaxed);
        let (low, carry) = t0.overflowing_add(d);
        self.total[0].store(low, Relaxed);
        if carry {
            let t1 = self.total[1].load(Relaxed);
            self.total[1].store(t1.wrapping_add(1), Relaxed);
        }
        // Stored only when they change, which is rare: a load, a compare
        // and an untaken branch each.
        if !d > self.min_inverted.load(Relaxed) {
            self.min_inverted.store(!d, Relaxed);
        }
        if d > self.max.load(Relaxed) {
            self.max.store(d, Relaxed);
        }

        if d >> 32 == 0 {
            // The usual exit: the square fits in 64 bits, so one multiply
            // and one add; the carry into the upper limbs is rare.
            let (low, carry) = self.sum_sq[0].load(Relaxed).overflowing_add(d * d);
            self.sum_sq[0].store(low, Relaxed);
            if carry {
                self.carry_sum_sq();
            }
        } else {
            self.add_wide_square(d);
        }
    }

    /// Carries one into the sum of squares' upper limbs.
    #[cold]
    fn carry_sum_sq(&self) {
        let s1 = self.sum_sq[1].load(Relaxed).wrapping_add(1);
        self.sum_sq[1].store(s1, Relaxed);
        if s1 == 0 {
            let s2 = self.sum_sq[2].load(Relaxed);
            self.sum_sq[2].store(s2.wrapping_add(1), Relaxed);
        }
    }

    /// Adds the 128-bit square of a duration of 2^32 ticks or more.
    #[cold]
    fn add_wide_square(&self, d: u64) {
        let sq = (d as u128) * (d as u128);
        let s0 = self.sum_sq[0].load(Relaxed);
        let (low, carry) = s0.overflowing_add(sq as u64);
        self.sum_sq[0].store(low, Relaxed);
        let s1 = self.sum_sq[1].load(Relaxed) as u128;
        let mid = s1 + (sq >> 64) + carry as u128;
        self.sum_sq[1].store(mid as u64, Relaxed);
        if mid >> 64 != 0 {
            let s2 = self.sum_sq[2].load(Relaxed);
            self.sum_sq[2].store(s2.wrapping_add(1), Relaxed);
        }
    }

    /// A copy of the row, which holds `count` durations. Consistent only
    /// under the writer's sequence count.
    pub(crate) fn read(&self, count: u64) -> RowStats {
        RowStats {
            count,
            total: self.total[0].load(Relaxed) as u128
                | (self.total[1].load(Relaxed) as u128) << 64,
            min: if count == 0 {
                0
            } else {
                !self.min_inverted.load(Relaxed)
            },
            max: self.max.load(Relaxed),
            sum_sq: U256([
                self.sum_sq[0].load(Relaxed),
                self.sum_sq[1].load(Relaxed),
                self.sum_sq[2].load(Relaxed),
                0,
            ]),
        }
    }

    pub(crate) fn clear(&self) {
        for a in [&self.min_inverted, &self.max] {
            a.store(0, Relaxed);
        }
        for a in self.total.iter().chain(self.sum_sq.iter()) {
            a.store(0, Relaxed);
        }
    }
}

/// The statistics of one row, or of the same row summed over vCPUs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowStats {
    pub(crate) count: u64,
    pub(crate) total: u128,
    /// 0 when `count` is 0.
    pub(crate) min: u64,
    pub(crate) max: u64,
    pub(crate) sum_sq: U256,
}

impl RowStats {
    /// Adds another vCPU's (or VM's) statistics of the same row.
    pub(crate) fn merge(&mut self, other: &RowStats) {
        if other.count == 0 {
            return;
        }
        self.min = if self.count == 0 {
            other.min
        } else {
            self.min.min(other.min)
        };
        self.max = self.max.max(other.max);
        self.count = self.count.saturating_add(other.count);
        self.total = self.total.saturating_add(other.total);
        self.sum_sq = self
            .sum_sq
            .checked_add(other.sum_sq)
            .unwrap_or(U256([u64::MAX; 4]));
    }

    /// The mean, rounded down; 0 when empty.
    pub(crate) fn avg(&self) -> u64 {
        if self.count == 0 {
            return 0;
        }
        div_rem_u128(self.total, self.count as u128).0 as u64
    }

    /// The population standard deviation, rounded down; 0 when empty.
    ///
    /// variance = (count * sum_sq - total^2) / count^2, exactly: with
    /// values below 2^64 and count below 2^64 the numerator is below 2^256.
    pub(crate) fn stddev(&self) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let n = self.count as u128;
        let spread = self
            .sum_sq
            .checked_mul_u64(self.count)
            .and_then(|a| a.checked_sub(U256::mul_u128(self.total, self.total)));
        match spread.and_then(|s| s.div_u128(n * n)) {
            Some(variance) => isqrt_u128(variance),
            // Only inconsistent input (sums saturated) gets here.
            None => 0,
        }
    }
}
