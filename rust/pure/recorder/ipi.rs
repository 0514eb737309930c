// SPDX-License-Identifier: GPL-2.0

//! The recorder's side of virtual IPI latency (see `pure/ipi.rs`): the
//! receiver records what a run delivered in a write section of its own,
//! and readers copy its IPI table under its sequence count.

use super::{Phase, VcpuRecorder};
use crate::pure::histogram::BUCKETS;
use crate::pure::ipi::{IpiKind, IpiTable};
use crate::pure::row::RowStats;

impl VcpuRecorder {
    /// The run entered at `entry` just ended: records the SGIs it
    /// delivered, `held(intid, sender slot)` saying which its list
    /// registers held. The writer only.
    #[cold]
    pub(crate) fn on_ipis_delivered(
        &self,
        table: &IpiTable,
        entry: u64,
        held: impl Fn(u32, usize) -> bool,
    ) {
        let mut seq = None;
        table.inbox.take_delivered(entry, held, |s, kind, d| {
            if seq.is_none() {
                seq = Some(self.write_begin());
            }
            table.record(kind, s, d, self.applied_epoch());
        });
        if let Some(seq) = seq {
            self.write_end(seq);
        }
    }

    /// When the exit being handled began, if one is: an SGI's sender, in
    /// its own thread, sends it while handling that exit.
    pub(crate) fn pending_exit_start(&self) -> Option<u64> {
        let m = &self.machine;
        (super::phase(m.state.get()) == Phase::InExit).then(|| m.exited.get())
    }

    /// A consistent copy of `table`'s row `kind`, its buckets in
    /// `buckets`.
    pub(crate) fn read_ipi_kind(
        &self,
        table: &IpiTable,
        kind: IpiKind,
        buckets: &mut [u64; BUCKETS],
    ) -> RowStats {
        self.read_consistent(buckets, |b| table.read_kind(kind, self.applied_epoch(), b))
    }

    /// A consistent copy of `table`'s row of sender slot `s`.
    pub(crate) fn read_ipi_sender(
        &self,
        table: &IpiTable,
        s: usize,
        scratch: &mut [u64; BUCKETS],
    ) -> RowStats {
        self.read_consistent(scratch, |_| table.read_sender(s, self.applied_epoch()))
    }
}
