// SPDX-License-Identifier: GPL-2.0

//! Statistics summed over vCPUs: a VM's summary, the global summary, and
//! what destroyed VMs leave behind.

use super::exit_type::ExitType;
use super::histogram::BUCKETS;
use super::recorder::VcpuRecorder;
use super::row::RowStats;

/// Rows and bucket counts summed over any number of vCPUs. About 80 KB:
/// allocate it, do not put it on a kernel stack.
pub(crate) struct Totals {
    rows: [RowStats; ExitType::COUNT],
    buckets: [[u64; BUCKETS]; ExitType::COUNT],
}

impl Totals {
    pub(crate) fn clear(&mut self) {
        self.rows = [RowStats::default(); ExitType::COUNT];
        for b in self.buckets.iter_mut() {
            b.fill(0);
        }
    }

    /// Adds everything `recorder` holds now; `scratch` is working space.
    pub(crate) fn absorb(&mut self, recorder: &VcpuRecorder, scratch: &mut [u64; BUCKETS]) {
        for t in ExitType::ALL {
            let stats = recorder.read_row(t, scratch);
            self.rows[t as usize].merge(&stats);
            add_buckets(&mut self.buckets[t as usize], scratch);
        }
    }

    /// Adds row `t` of these totals to `stats` and `buckets`.
    pub(crate) fn add_row_to(
        &self,
        t: ExitType,
        stats: &mut RowStats,
        buckets: &mut [u64; BUCKETS],
    ) {
        stats.merge(&self.rows[t as usize]);
        add_buckets(buckets, &self.buckets[t as usize]);
    }
}

/// Sums row `t` of `recorders` into `buckets` (overwritten) and returns
/// its statistics; `scratch` is working space.
pub(crate) fn sum_row<'a>(
    t: ExitType,
    recorders: impl IntoIterator<Item = &'a VcpuRecorder>,
    buckets: &mut [u64; BUCKETS],
    scratch: &mut [u64; BUCKETS],
) -> RowStats {
    let mut stats = RowStats::default();
    buckets.fill(0);
    for r in recorders {
        stats.merge(&r.read_row(t, scratch));
        add_buckets(buckets, scratch);
    }
    stats
}

pub(crate) fn add_buckets(sum: &mut [u64; BUCKETS], more: &[u64; BUCKETS]) {
    for (s, m) in sum.iter_mut().zip(more.iter()) {
        *s = s.saturating_add(*m);
    }
}
