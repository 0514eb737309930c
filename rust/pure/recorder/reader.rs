// SPDX-License-Identifier: GPL-2.0

//! The recorder's reader side: any thread, any time. Readers copy rows
//! under the writer's sequence count and retry if it moved.

use super::{epoch, phase, row_of, state, Anomalies, Phase, VcpuRecorder};
use crate::pure::breakdown::{KeyTable, SlotKey};
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
use crate::pure::row::RowStats;
use core::sync::atomic::{fence, Ordering};

impl VcpuRecorder {
    /// Clock value of the latest reset, or of the start of timing.
    pub(crate) fn reset_at(&self) -> u64 {
        self.reset_at.load(Ordering::Relaxed)
    }

    /// The row of the exit the vCPU forwarded to user space (KVM_RUN
    /// returned 0 to have it handled there), if it has not entered the
    /// guest since: that exit is counted only then, user space's time
    /// being its own. A snapshot of the writer's state, exact while the
    /// vCPU's thread is stopped outside KVM_RUN.
    pub(crate) fn forwarded(&self) -> Option<ExitType> {
        let s = self.machine.state.get();
        let pending = phase(s) == Phase::InExit || s & state::MOVED != 0;
        (pending && s & state::FORWARDED != 0).then(|| row_of(s))
    }

    pub(crate) fn anomalies(&self) -> Anomalies {
        Anomalies {
            unpaired: self.unpaired.load(Ordering::Relaxed) as u64,
        }
    }

    /// A consistent copy of `row`'s statistics; its bucket counts are
    /// written to `buckets`.
    pub(crate) fn read_row(&self, row: ExitType, buckets: &mut [u64; BUCKETS]) -> RowStats {
        self.read_consistent(buckets, |b| {
            self.hists[row as usize].add_to(b);
            let count = b.iter().fold(0u64, |a, &c| a.saturating_add(c));
            self.rows[row as usize].read(count)
        })
    }

    /// A consistent copy of slot `i` of `table`, one of this vCPU's
    /// breakdown tables: its key, statistics and bucket counts.
    pub(crate) fn read_slot(
        &self,
        table: &KeyTable,
        i: usize,
        buckets: &mut [u64; BUCKETS],
    ) -> (SlotKey, RowStats) {
        let mut key = SlotKey::FREE;
        let stats = self.read_consistent(buckets, |b| {
            let (k, stats) = table.read_slot(i, self.applied_epoch(), b);
            key = k;
            stats
        });
        if stats.count == 0 {
            key = SlotKey::FREE;
        }
        (key, stats)
    }

    /// What `read` copies of the rows into `buckets` (zeroed first),
    /// retried until no writer ran meanwhile; empty if a reset is pending.
    pub(super) fn read_consistent(
        &self,
        buckets: &mut [u64; BUCKETS],
        mut read: impl FnMut(&mut [u64; BUCKETS]) -> RowStats,
    ) -> RowStats {
        loop {
            let before = self.seq.load(Ordering::Acquire);
            if before & 1 != 0 {
                core::hint::spin_loop();
                continue;
            }
            let epochs = self.epochs.load(Ordering::Acquire);
            buckets.fill(0);
            let stats = read(buckets);
            fence(Ordering::Acquire);
            if self.seq.load(Ordering::Relaxed) != before {
                continue;
            }
            if epoch::pending(epochs) {
                // Reset requested, not yet applied by the writer: empty.
                buckets.fill(0);
                return RowStats::default();
            }
            return stats;
        }
    }
}
