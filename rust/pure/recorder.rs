// SPDX-License-Identifier: GPL-2.0

//! One vCPU's exit timing: the state machine the tracepoint probes drive,
//! and the statistics it records.
//!
//! Definitions (see Documentation/kvm-exit-timing.rst):
//! - an exit's time runs from the guest exit to the vCPU's next guest
//!   entry, minus the time the vCPU thread spent preempted meanwhile; an
//!   exit also ends when KVM_RUN returns to user space other than to
//!   forward that very exit (a signal, an error, `immediate_exit`);
//! - TIMEINGUEST is the time from a guest entry to the next guest exit;
//! - DESCHEDULED is each interval the vCPU thread spent preempted inside
//!   KVM_RUN.
//!
//! Clocks: on the generic counter every stamp is comparable with every
//! other. The cycle counter is per CPU: its `_per_cpu` methods never
//! subtract stamps that may come from two CPUs. An exit still pending when
//! the thread leaves its CPU (switched out, or back to user space) keeps
//! what it took so far, and is rebased on the next CPU's counter when the
//! thread comes back; the time away is measured on the counter (`wall`)
//! and converted at the clock's [`Rate`].
//!
//! Concurrency: one writer at a time (the vCPU's thread in its probes, or
//! whoever tears the vCPU down after it), any number of readers. Writers
//! bracket their updates with a sequence count; readers retry until they
//! copied a row without a writer in between. Every field is atomic, so
//! that none of this needs `unsafe`; the writer's own fields are relaxed
//! atomics, which cost a plain load or store. Two concurrent writers would
//! record wrong numbers: callers keep to one. A reset is requested by
//! bumping an epoch; the writer clears the rows when it sees the new epoch
//! and readers treat rows of an older epoch as empty, so no reader or
//! resetter ever writes what the writer owns.

mod ipi;
mod reader;
#[cfg(test)]
mod shorthand;

use super::breakdown::Tables;
use super::classify::{classify, refine};
use super::exit_type::ExitType;
use super::histogram::{bucket_of, Histogram};
use super::host_irq::NO_IRQ;
use super::rate::Rate;
use super::row::Row;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

/// Where the vCPU stands between two events: bit 0 of the state word.
///
/// KVM stamps each guest entry and hands the stamp to its exit hook, so
/// one event per guest run reports both the run and the entry that ended
/// the exit before it. An exit handled in the kernel is therefore
/// recorded at the next exit, not at the entry that ends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum Phase {
    /// No exit pending: before the first exit, or after one completed
    /// outside the guest (KVM_RUN returned, timing started or stopped).
    Idle = 0,
    /// Between a guest exit and the event that completes it: the next
    /// exit (whose entry stamp ends it), or KVM_RUN's return.
    InExit = 1,
}

/// The state word: the phase, flags, and the pending exit's class and
/// refinements. One word, so that the exit probe sets it with one store.
mod state {
    pub(super) const PHASE: u32 = 0b1;
    /// Per-CPU clock: an exit forwarded to user space, no longer
    /// `PHASE` (so that the hot path's test skips it), whose time so far
    /// is in `so_far` and goes on, on the counter, from `wall_mark`.
    pub(super) const MOVED: u32 = 1 << 1;
    /// KVM_RUN already returned once to forward the pending exit.
    pub(super) const FORWARDED: u32 = 1 << 3;
    /// First class of the pending exit (an `ExitType` index).
    pub(super) const CLASS_SHIFT: u32 = 8;
    /// `classify::seen` bits collected while the exit is handled.
    pub(super) const SEEN_SHIFT: u32 = 16;
}

/// The reset epochs, halves of one word: resetters bump the requested
/// one, the writer copies it to the applied one once it cleared the rows.
mod epoch {
    /// The epoch the rows reflect.
    pub(super) const APPLIED: u64 = 0xffff_ffff;
    /// The epoch of the latest reset request.
    pub(super) const REQUESTED_SHIFT: u32 = 32;

    /// Whether a reset was requested and not yet applied.
    #[inline(always)]
    pub(super) fn pending(epochs: u64) -> bool {
        epochs >> REQUESTED_SHIFT != epochs & APPLIED
    }

    /// `epochs` with the latest request applied.
    pub(super) fn applied(epochs: u64) -> u64 {
        epochs & !APPLIED | epochs >> REQUESTED_SHIFT
    }
}

/// A value only the writer touches.
#[derive(Default)]
struct Own<A>(A);

/// `get` and `set` of a writer-only field: relaxed, a plain load or store.
macro_rules! own {
    ($($atomic:ty => $value:ty),*) => {$(
        impl Own<$atomic> {
            #[inline(always)]
            fn get(&self) -> $value {
                self.0.load(Ordering::Relaxed)
            }
            #[inline(always)]
            fn set(&self, v: $value) {
                self.0.store(v, Ordering::Relaxed)
            }
        }
    )*};
}
own!(AtomicU64 => u64, AtomicU32 => u32, AtomicBool => bool);

/// The writer's state. All-zero is a valid, idle state.
#[repr(C)]
struct Machine {
    /// See [`state`].
    state: Own<AtomicU32>,
    /// The thread was preempted inside KVM_RUN and has not run since.
    off_cpu: Own<AtomicBool>,
    /// When the pending exit began, moved later by the time the thread
    /// spent preempted since: the exit's time is then `end - exited`.
    exited: Own<AtomicU64>,
    /// The guest run that ended with the pending exit.
    in_guest: Own<AtomicU64>,
    /// When KVM_RUN last returned to user space.
    returned: Own<AtomicU64>,
    /// When the thread was preempted (valid while `off_cpu`).
    off_since: Own<AtomicU64>,
    /// Per-CPU clock: the thread left its CPU preempted (not blocking).
    off_preempted: Own<AtomicBool>,
    /// Per-CPU clock: the pending exit's time before the thread left its
    /// CPU, and the counter then.
    so_far: Own<AtomicU64>,
    wall_mark: Own<AtomicU64>,
    /// The pending exit's breakdown key, while a breakdown is on.
    key: Own<AtomicU32>,
}

/// What a per-CPU clock's rare paths need from the generic counter.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wall {
    /// The counter, now.
    pub(crate) now: u64,
    /// The clock's units per counter tick.
    pub(crate) rate: Rate,
}

/// Orders the stores before it before the stores after it, as the
/// kernel's `smp_wmb()`: all a sequence-count writer needs, and on arm64
/// lighter than the full barrier of a release fence.
#[inline(always)]
fn store_store_barrier() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier instruction, touching no register or memory. The
    // asm is not `nomem`, so the compiler moves no access across it either.
    unsafe {
        core::arch::asm!("dmb ishst", options(nostack, preserves_flags));
    }
    #[cfg(not(target_arch = "aarch64"))]
    core::sync::atomic::fence(Ordering::Release);
}

/// The first class of the pending exit of state word `s`.
#[inline(always)]
fn class_of(s: u32) -> ExitType {
    ExitType::ALL[(s >> state::CLASS_SHIFT) as usize % ExitType::COUNT]
}

/// The row of the pending exit of state word `s`: its first class,
/// refined by the tracepoints seen while it was handled.
#[inline(always)]
fn row_of(s: u32) -> ExitType {
    refine(class_of(s), (s >> state::SEEN_SHIFT) as u8)
}

#[inline(always)]
fn phase(s: u32) -> Phase {
    match s & state::PHASE {
        1 => Phase::InExit,
        _ => Phase::Idle,
    }
}

/// Counters of events that could not be used, for the control file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Anomalies {
    /// Exits dropped because the event that should end them came earlier
    /// than they began (a guest entry stamped before the exit, on a clock
    /// that went backwards).
    pub(crate) unpaired: u64,
}

/// The exit timing of one vCPU. All-zero memory is a valid, empty
/// recorder (it is allocated zeroed, in process context).
#[repr(C)]
pub(crate) struct VcpuRecorder {
    /// Odd while the writer updates `rows` and `hists`.
    seq: AtomicU32,
    unpaired: AtomicU32,
    /// See [`epoch`]: one word, so that the writer checks for a reset
    /// with one load.
    epochs: AtomicU64,
    /// Clock value of the latest reset request, or of the start of timing.
    reset_at: AtomicU64,
    machine: Machine,
    rows: [Row; ExitType::COUNT],
    hists: [Histogram; ExitType::COUNT],
}

impl VcpuRecorder {
    // ---- Writer side: one caller at a time (see the module doc).

    /// [`Self::on_exit`] with the breakdown `tables` that are on; `key`
    /// gives the exit's key from its first class, if a table is on (see
    /// `breakdown.rs`).
    #[inline(always)]
    pub(crate) fn on_exit_keyed(
        &self,
        entered: u64,
        now: u64,
        exit_code: u32,
        esr: u64,
        key: impl FnOnce(ExitType) -> u32,
        tables: Tables<'_>,
    ) {
        self.on_exit_per_cpu_keyed(entered, now, exit_code, esr, key, tables, || Wall {
            now,
            rate: Rate::ONE,
        })
    }

    /// [`Self::on_exit_per_cpu`] with breakdown `tables` and the exit's
    /// `key`, as [`Self::on_exit_keyed`].
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn on_exit_per_cpu_keyed(
        &self,
        entered: u64,
        now: u64,
        exit_code: u32,
        esr: u64,
        key: impl FnOnce(ExitType) -> u32,
        tables: Tables<'_>,
        wall: impl FnOnce() -> Wall,
    ) {
        let m = &self.machine;
        let s = m.state.get();
        if phase(s) == Phase::InExit {
            self.complete(s, entered, tables);
        } else if s & state::MOVED != 0 {
            // Back from user space: the time away, less this guest run.
            let w = wall();
            let away = w.rate.units(w.now.saturating_sub(m.wall_mark.get()));
            self.complete_moved(s, away.saturating_sub(now.saturating_sub(entered)), tables);
        }
        let class = classify(exit_code, esr);
        m.state
            .set(Phase::InExit as u32 | (class as u32) << state::CLASS_SHIFT);
        if tables.any() {
            m.key.set(key(class));
        }
        m.in_guest.set(now.saturating_sub(entered));
        m.exited.set(now);
    }

    /// The pending exit's breakdown key gets `bits` too (the device an
    /// MMIO access went to, known only once KVM handled it).
    #[inline(always)]
    pub(crate) fn on_key_bits(&self, bits: u32) {
        let m = &self.machine;
        if phase(m.state.get()) == Phase::InExit {
            m.key.set(m.key.get() | bits);
        }
    }

    /// The host handles interrupt `irq` (never [`NO_IRQ`]) in the vCPU's
    /// thread. If the pending exit is an INTERRUPT not keyed yet (with a
    /// breakdown on), `irq` is what caused it: it becomes the key, and this
    /// returns true.
    ///
    /// Called from the interrupt, on the writer's CPU: the writer is
    /// interrupted, but never while it writes the key (the exit probe runs
    /// with interrupts masked, and the other writer of keys, the MMIO
    /// probe, only for data aborts).
    #[inline(always)]
    pub(crate) fn on_host_irq(&self, irq: u32) -> bool {
        let m = &self.machine;
        let keyed = self.pending_interrupt().is_some_and(|k| k == NO_IRQ);
        if keyed {
            m.key.set(irq);
        }
        keyed
    }

    /// The key of the pending exit if it is an INTERRUPT (with a
    /// breakdown on): the host IRQ that caused it, or [`NO_IRQ`] until its
    /// handler runs.
    #[inline(always)]
    pub(crate) fn pending_interrupt(&self) -> Option<u32> {
        let m = &self.machine;
        let s = m.state.get();
        let interrupt = phase(s) == Phase::InExit && class_of(s) == ExitType::Interrupt;
        interrupt.then(|| m.key.get())
    }

    /// A tracepoint that refines the pending exit's class fired.
    #[inline(always)]
    pub(crate) fn on_seen(&self, what: u8) {
        let m = &self.machine;
        let s = m.state.get();
        if phase(s) == Phase::InExit {
            m.state.set(s | u32::from(what) << state::SEEN_SHIFT);
        }
    }

    /// The vCPU thread is put off its CPU at `now`; `preempted` if it is
    /// still runnable inside KVM_RUN (not blocking).
    #[inline(always)]
    pub(crate) fn on_put(&self, now: u64, preempted: bool) {
        let m = &self.machine;
        if preempted {
            m.off_cpu.set(true);
            m.off_since.set(now);
        }
    }

    /// The vCPU thread is back on a CPU at `now`.
    #[inline(always)]
    pub(crate) fn on_load(&self, now: u64) {
        let m = &self.machine;
        if !m.off_cpu.get() {
            return;
        }
        m.off_cpu.set(false);
        let off = now.saturating_sub(m.off_since.get());
        if phase(m.state.get()) == Phase::InExit {
            // Preempted time is not the exit's: start it that much later.
            m.exited.set(m.exited.get().saturating_add(off).min(now));
        }
        let seq = self.write_begin();
        self.add(ExitType::Descheduled, off);
        self.write_end(seq);
    }

    /// [`Self::on_put`] on a per-CPU clock, whether or not the thread was
    /// `preempted`: `clocks` gives this CPU's clock and the counter, read
    /// only if a pending exit must be rebased or the time off counted. A
    /// thread that blocks or leaves KVM_RUN with no exit pending (after
    /// forwarding one to user space, say) has neither.
    #[inline(always)]
    pub(crate) fn on_put_per_cpu(&self, preempted: bool, clocks: impl FnOnce() -> (u64, u64)) {
        let m = &self.machine;
        let pending = phase(m.state.get()) == Phase::InExit;
        if !pending && !preempted {
            return;
        }
        let (now, wall) = clocks();
        m.off_cpu.set(true);
        m.off_preempted.set(preempted);
        m.off_since.set(wall);
        if pending {
            m.so_far.set(now.wrapping_sub(m.exited.get()));
        }
    }

    /// [`Self::on_load`] on a per-CPU clock: `now` on the CPU the thread
    /// is back on, `wall` the counter. The pending exit resumes on this
    /// CPU's clock, with the time away if the thread blocked (a WFI's
    /// wait is the exit's), without it if it was preempted.
    #[inline(always)]
    pub(crate) fn on_load_per_cpu(&self, now: u64, wall: Wall) {
        let m = &self.machine;
        if !m.off_cpu.get() {
            return;
        }
        m.off_cpu.set(false);
        let off_ticks = wall.now.saturating_sub(m.off_since.get());
        let off = wall.rate.units(off_ticks);
        let preempted = m.off_preempted.get();
        let s = m.state.get();
        if phase(s) == Phase::InExit {
            let away = if preempted { 0 } else { off };
            // Wrapping: `complete` subtracts it from this CPU's clock.
            m.exited
                .set(now.wrapping_sub(m.so_far.get()).wrapping_sub(away));
        } else if s & state::MOVED != 0 && preempted {
            // Preempted before entering the guest again: not the exit's.
            m.wall_mark
                .set(m.wall_mark.get().saturating_add(off_ticks).min(wall.now));
        }
        if preempted {
            let seq = self.write_begin();
            self.add(ExitType::Descheduled, off);
            self.write_end(seq);
        }
    }

    /// [`Self::on_run_return_per_cpu`] with breakdown `tables`.
    #[inline(always)]
    pub(crate) fn on_run_return_per_cpu_keyed(
        &self,
        now: u64,
        wall: Wall,
        ret: i32,
        tables: Tables<'_>,
    ) {
        let m = &self.machine;
        let s = m.state.get();
        if phase(s) == Phase::InExit && ret == 0 && s & state::FORWARDED == 0 {
            m.so_far.set(now.wrapping_sub(m.exited.get()));
            m.wall_mark.set(wall.now);
            m.state
                .set(s & !state::PHASE | state::MOVED | state::FORWARDED);
        } else if s & state::MOVED != 0 {
            // KVM_RUN returns again without entering the guest.
            let away = wall.rate.units(wall.now.saturating_sub(m.wall_mark.get()));
            self.complete_moved(s, away, tables);
            m.state.set(Phase::Idle as u32);
        } else {
            self.on_run_return_keyed(now, ret, tables);
        }
    }

    /// [`Self::on_run_return`] with breakdown `tables`.
    #[inline(always)]
    pub(crate) fn on_run_return_keyed(&self, now: u64, ret: i32, tables: Tables<'_>) {
        let m = &self.machine;
        m.returned.set(now);
        let s = m.state.get();
        if phase(s) != Phase::InExit {
            m.state.set(Phase::Idle as u32);
            return;
        }
        if ret == 0 && s & state::FORWARDED == 0 {
            // User space handles this exit; its time runs on.
            m.state.set(s | state::FORWARDED);
        } else {
            self.complete(s, now, tables);
            m.state.set(Phase::Idle as u32);
        }
    }

    /// The vCPU is being destroyed: record an exit still pending, ending
    /// when KVM_RUN last returned, so that no exit is lost. No other
    /// writer method may follow.
    pub(crate) fn on_destroy(&self, tables: Tables<'_>) {
        let m = &self.machine;
        let s = m.state.get();
        if phase(s) == Phase::InExit {
            self.complete(s, m.returned.get().max(m.exited.get()), tables);
        } else if s & state::MOVED != 0 {
            self.complete_moved(s, 0, tables);
        }
        m.state.set(Phase::Idle as u32);
        m.off_cpu.set(false);
    }

    /// Forget any pending interval: timing stops (or restarts) here.
    pub(crate) fn stop(&self) {
        let m = &self.machine;
        m.state.set(Phase::Idle as u32);
        m.off_cpu.set(false);
    }

    /// Records the pending exit (state word `s`) as ending at `end`, with
    /// the guest run that led to it.
    #[inline(always)]
    fn complete(&self, s: u32, end: u64, tables: Tables<'_>) {
        let m = &self.machine;
        let exit = row_of(s);
        // Wrapping, then signed: a per-CPU clock's `exited` may have been
        // rebased below zero.
        let d = end.wrapping_sub(m.exited.get());
        let seq = self.write_begin();
        self.add(ExitType::TimeInGuest, m.in_guest.get());
        if d as i64 >= 0 {
            self.add(exit, d);
            tables.record(exit, m.key.get(), d, self.applied_epoch());
        } else {
            self.count_unpaired();
        }
        self.write_end(seq);
    }

    /// Records a forwarded exit on a per-CPU clock (state word `s`): its
    /// time so far, and `more` since it was moved.
    #[cold]
    fn complete_moved(&self, s: u32, more: u64, tables: Tables<'_>) {
        let m = &self.machine;
        let exit = row_of(s);
        let d = m.so_far.get().saturating_add(more);
        let seq = self.write_begin();
        self.add(ExitType::TimeInGuest, m.in_guest.get());
        self.add(exit, d);
        tables.record(exit, m.key.get(), d, self.applied_epoch());
        self.write_end(seq);
    }

    #[inline(always)]
    fn add(&self, row: ExitType, d: u64) {
        self.rows[row as usize].record(d);
        self.hists[row as usize].add(bucket_of(d));
    }

    /// Opens a write section (the count turns odd), first applying a
    /// pending reset. Returns the count to pass to [`Self::write_end`].
    #[inline(always)]
    fn write_begin(&self) -> u32 {
        let seq = self.seq.load(Ordering::Relaxed);
        self.seq.store(seq.wrapping_add(1), Ordering::Relaxed);
        // Readers must not see row updates without the odd count.
        store_store_barrier();
        if epoch::pending(self.epochs.load(Ordering::Relaxed)) {
            self.apply_reset();
        }
        seq
    }

    /// Closes the write section: the updates become visible with it.
    #[inline(always)]
    fn write_end(&self, seq: u32) {
        self.seq.store(seq.wrapping_add(2), Ordering::Release);
    }

    /// Clears the rows and marks the latest reset request applied. A
    /// request that races with this is applied too: nothing was recorded
    /// since the rows were cleared.
    /// Breakdown tables are cleared when next written or read (see
    /// [`KeyTable`]).
    #[cold]
    fn apply_reset(&self) {
        for (row, hist) in self.rows.iter().zip(self.hists.iter()) {
            row.clear();
            hist.clear();
        }
        // Only resetters race here, and they only bump the upper half.
        let _ = self
            .epochs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |e| {
                Some(epoch::applied(e))
            });
    }

    /// The reset epoch the rows reflect.
    #[inline(always)]
    fn applied_epoch(&self) -> u32 {
        (self.epochs.load(Ordering::Relaxed) & epoch::APPLIED) as u32
    }

    #[cold]
    fn count_unpaired(&self) {
        let n = self.unpaired.load(Ordering::Relaxed);
        self.unpaired.store(n.wrapping_add(1), Ordering::Relaxed);
    }

    // ---- Reset requests: any thread, serialised by the caller.

    /// Sets when timing of this vCPU began, before any event is recorded.
    pub(crate) fn set_origin(&self, now: u64) {
        self.reset_at.store(now, Ordering::Relaxed);
    }

    /// Empties the recorder as of `now`: readers see empty rows at once,
    /// the writer clears them before its next update.
    pub(crate) fn request_reset(&self, now: u64) {
        self.reset_at.store(now, Ordering::Relaxed);
        self.epochs
            .fetch_add(1 << epoch::REQUESTED_SHIFT, Ordering::Release);
    }
}
