// SPDX-License-Identifier: GPL-2.0

//! The recorder's writer methods without breakdowns, as the host tests
//! call them (the probes pass their breakdown tables, or none).

use super::{VcpuRecorder, Wall};
use crate::pure::breakdown::Tables;

impl VcpuRecorder {
    /// The guest, entered at `entered`, left at `now` with `exit_code` and
    /// syndrome `esr`: the exit pending before that entry ends there, and
    /// this one begins.
    #[inline(always)]
    pub(crate) fn on_exit(&self, entered: u64, now: u64, exit_code: u32, esr: u64) {
        self.on_exit_keyed(entered, now, exit_code, esr, |_| 0, Tables::NONE);
    }

    /// [`Self::on_exit`] on a per-CPU clock: `entered` and `now` on this
    /// CPU; `wall` is called only for an exit that user space handled.
    #[inline(always)]
    pub(crate) fn on_exit_per_cpu(
        &self,
        entered: u64,
        now: u64,
        exit_code: u32,
        esr: u64,
        wall: impl FnOnce() -> Wall,
    ) {
        self.on_exit_per_cpu_keyed(entered, now, exit_code, esr, |_| 0, Tables::NONE, wall)
    }

    /// [`Self::on_run_return`] on a per-CPU clock: `now` on this CPU,
    /// `wall` the counter. A forwarded exit keeps its time so far, and
    /// goes on on the counter until the thread enters the guest again.
    #[inline(always)]
    pub(crate) fn on_run_return_per_cpu(&self, now: u64, wall: Wall, ret: i32) {
        self.on_run_return_per_cpu_keyed(now, wall, ret, Tables::NONE)
    }

    /// KVM_RUN returns `ret` to user space at `now`.
    #[inline(always)]
    pub(crate) fn on_run_return(&self, now: u64, ret: i32) {
        self.on_run_return_keyed(now, ret, Tables::NONE)
    }
}
