// SPDX-License-Identifier: GPL-2.0

//! What user-space tools (kvm-exit-stat) take from the module itself
//! rather than write out again: the layout version, the rows of the
//! tables and of the EL2 section in file order, and the histogram's
//! buckets and percentiles, so that a tool's percentile over a recorded
//! interval means what the module's does.

use crate::pure::{el2::El2Row, exit_type::ExitType, histogram, version};

/// The version the module writes in every file's first line.
pub const LAYOUT_VERSION: &str = version::VERSION;

/// Rows of a `stats` or `summary` table, in file order.
pub const ROWS: usize = ExitType::COUNT;

/// Rows of a table's EL2 section, in file order.
pub const EL2_ROWS: usize = El2Row::COUNT;

/// The name of table row `i` (`i < ROWS`).
pub fn row_name(i: usize) -> &'static str {
    ExitType::ALL[i].name()
}

/// Whether table row `i` counts guest exits (not TIMEINGUEST or
/// DESCHEDULED), as KVM's `exits` stat does.
pub fn row_is_exit(i: usize) -> bool {
    ExitType::ALL[i].is_exit()
}

/// The name of EL2 row `i` (`i < EL2_ROWS`).
pub fn el2_row_name(i: usize) -> &'static str {
    El2Row::ALL[i].name()
}

/// Buckets of a row's histogram.
pub const BUCKETS: usize = histogram::BUCKETS;

/// The bucket that holds duration `v`.
pub fn bucket_of(v: u64) -> usize {
    histogram::bucket_of(v)
}

/// Lowest and highest duration (inclusive) of bucket `i`.
pub fn bucket_bounds(i: usize) -> (u64, u64) {
    histogram::bucket_bounds(i)
}

/// The percentiles `per_mille` (ascending) of the `count` durations in
/// `buckets`, capped at `max`, exactly as the module computes its p50 to
/// p99.9 columns.
pub fn percentiles<const N: usize>(
    buckets: &[u64; BUCKETS],
    count: u64,
    per_mille: [u32; N],
    max: u64,
) -> [u64; N] {
    histogram::percentiles(buckets, count, per_mille, max)
}
