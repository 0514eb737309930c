// SPDX-License-Identifier: GPL-2.0

//! The profiler, split by the context each part runs in:
//! - here, its lifecycle (start, unload) and the control commands
//!   (enable, disable, reset), in process context;
//! - `probes.rs` and `pool.rs`: the probes and their data, the pool, in
//!   probe context (preemption disabled, nothing that sleeps);
//! - `tree.rs`: the work item that keeps the pool filled and the debugfs
//!   tree in step with VMs and vCPUs;
//! - `clock.rs`: the clock in use, as the files describe it.

pub(crate) mod clock;
mod pool;
mod probes;
mod tree;

pub(crate) use pool::{breakdowns_on, irq_label, with_links};
pub(crate) use tree::{Tree, TreeFiles};

use crate::pure::breakdown::Breakdown;
use crate::pure::command::ClockKind;
use crate::pure::rate::Rate;
use crate::pure::table::{self, Clock, Ownership};
use crate::sys::clock::{self as counter, Counter, Keyed, TimingClock};
use crate::sys::cycle_counter::{cpufreq_max_hz, CycleCounters, Cycles};
use crate::sys::kvm_exit_hook::ExitHook;
use crate::sys::memory::kmalloc_bytes;
use crate::sys::tracepoint::Probes;
use kernel::{
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

/// The probes registered now. Lock order: before the tree's locks.
struct Control {
    /// vCPU creation and destruction, while the module is loaded; the
    /// destruction probe goes last.
    create: Option<Probes<Tree, 1>>,
    destroy: Option<Probes<Tree, 1>>,
    /// The timing probes and the guest-exit hook, while timing is
    /// enabled: the hook is registered last and goes first.
    timing: Option<Probes<Tree, { probes::TIMING }>>,
    exit_hook: Option<ExitHook<Tree>>,
    /// The probes on the host's interrupt handlers, while timing is
    /// enabled with the `interrupts` breakdown on.
    host_irqs: Option<Probes<Tree, 2>>,
    /// The clock the timing probes are built for.
    clock: ClockKind,
    /// The PMU cycle counters, held while the clock is `Cycles`: taken
    /// before its probes are registered, released after they are gone.
    cycles: Option<HeldCycles>,
}

/// The cycle counters, and their frequency as the files show it.
struct HeldCycles {
    counters: CycleCounters,
    hz: u64,
    source: clock::Source,
}

#[pin_data]
pub(crate) struct Profiler {
    tree: Arc<Tree>,
    /// The generic counter's frequency.
    counter_hz: u64,
    #[pin]
    control: Mutex<Control>,
}

impl Profiler {
    /// A profiler with its debugfs root and a filled pool, not yet
    /// attached to any tracepoint.
    /// `files` are those each VM and vCPU gets.
    pub(crate) fn new(files: &'static TreeFiles) -> Result<Arc<Profiler>> {
        let hz = counter::frequency();
        if hz == 0 {
            pr_err!("the arm64 counter reports a frequency of 0\n");
            return Err(ENODEV);
        }
        let control = Control {
            create: None,
            destroy: None,
            timing: None,
            exit_hook: None,
            host_irqs: None,
            clock: ClockKind::Counter,
            cycles: None,
        };
        clock::set(ClockKind::Counter, 0, clock::Source::Calibrated);
        let tree = Tree::new(files)?;
        Arc::pin_init(
            pin_init!(Profiler {
                tree,
                counter_hz: hz,
                control <- new_mutex!(control, "Profiler::control"),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn tree(&self) -> &Arc<Tree> {
        &self.tree
    }

    /// The generic counter's frequency.
    pub(crate) fn counter_hz(&self) -> u64 {
        self.counter_hz
    }

    /// The clock in use, as the files describe it.
    pub(crate) fn clock(&self) -> Clock {
        clock::in_use()
    }

    /// Attaches the lifetime probes and starts timing with `clock`. If
    /// this fails, [`Self::shutdown`] undoes what was done.
    pub(crate) fn start(&self, clock: ClockKind) -> Result {
        if clock != ClockKind::Counter {
            self.set_clock(clock)?;
        }
        {
            let mut control = self.control.lock();
            control.create = Some(Probes::register(self.tree.clone(), probes::create)?);
            control.destroy = Some(Probes::register(self.tree.clone(), probes::destroy)?);
        }
        self.set_enabled(true)
    }

    /// Enables or disables timing. Disabling forgets pending intervals, so
    /// that timing resumes cleanly from the next exit.
    pub(crate) fn set_enabled(&self, enable: bool) -> Result {
        let mut control = self.control.lock();
        match (enable, control.timing.is_some()) {
            (true, false) => self.start_chosen_timing(&mut control),
            (false, true) => {
                self.stop_timing(&mut control);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Registers the timing probes and the hook for the clock chosen, keying
    /// exits if a breakdown is on.
    fn start_chosen_timing(&self, control: &mut Control) -> Result {
        let keyed = self.tree.pool().breakdowns() != 0;
        match (control.clock, keyed) {
            (ClockKind::Counter, false) => self.start_timing::<Counter>(control),
            (ClockKind::Counter, true) => self.start_timing::<Keyed<Counter>>(control),
            (ClockKind::Cycles, false) => self.start_timing::<Cycles>(control),
            (ClockKind::Cycles, true) => self.start_timing::<Keyed<Cycles>>(control),
        }
    }

    /// Switches the breakdown of bit `bit` (`breakdown::SWITCHES`) on or
    /// off. Its tables are made on first use (`ENOMEM` if they cannot be,
    /// and it stays off); switching the first breakdown on or the last
    /// one off rebuilds the probes, which forgets the exit each vCPU is in.
    pub(crate) fn set_breakdown(&self, bit: u8, on: bool) -> Result {
        let mut control = self.control.lock();
        let pool = self.tree.pool();
        let old = pool.breakdowns();
        let new = if on { old | bit } else { old & !bit };
        if new == old {
            return Ok(());
        }
        if on && bit == Breakdown::Interrupts.bit() {
            // Fails before anything changes if this kernel lacks them.
            probes::HostIrqTracepoints::find()?;
        }
        self.tree.set_breakdowns(new)?;
        if control.timing.is_some() && (old == 0) != (new == 0) {
            self.stop_timing(&mut control);
            self.start_chosen_timing(&mut control)
        } else {
            self.sync_host_irqs(&mut control).inspect_err(|_| {
                // Without its probes, the breakdown stays off.
                let _ = self.tree.set_breakdowns(old);
            })
        }
    }

    /// Registers the probes on the host's interrupt handlers if timing is
    /// enabled with the `interrupts` breakdown on, unregisters them if
    /// not.
    fn sync_host_irqs(&self, control: &mut Control) -> Result {
        let want = control.timing.is_some()
            && self.tree.pool().breakdowns() & Breakdown::Interrupts.bit() != 0;
        match (want, control.host_irqs.is_some()) {
            (true, false) => {
                let tps = probes::HostIrqTracepoints::find()?;
                control.host_irqs = Some(Probes::register_with(
                    self.tree.clone(),
                    tps,
                    probes::host_irqs,
                )?);
            }
            (false, true) => control.host_irqs = None,
            _ => {}
        }
        Ok(())
    }

    /// Registers the timing probes and the hook for clock `C`.
    fn start_timing<C: TimingClock>(&self, control: &mut Control) -> Result {
        let timing = Probes::register(self.tree.clone(), probes::timing::<C>)?;
        match ExitHook::register::<C, _>(self.tree.clone(), probes::exit_hook) {
            Ok(hook) => {
                control.timing = Some(timing);
                control.exit_hook = Some(hook);
                let irqs = self.sync_host_irqs(control);
                if irqs.is_err() {
                    self.stop_timing(control);
                }
                irqs
            }
            Err(e) => {
                if e == EBUSY {
                    pr_err!("KVM's exit hook is taken by another module\n");
                }
                drop(timing);
                self.tree.stop_recorders();
                Err(e)
            }
        }
    }

    /// Unregisters the hook and the timing probes, and waits for the calls
    /// in flight; pending intervals are forgotten.
    fn stop_timing(&self, control: &mut Control) {
        control.host_irqs = None;
        control.exit_hook = None;
        if control.timing.take().is_some() {
            self.tree.stop_recorders();
        }
    }

    /// Times with `kind` from now on, after a reset of every table. The
    /// cycle counter must be free on every CPU (else `EBUSY`, and nothing
    /// changes).
    pub(crate) fn set_clock(&self, kind: ClockKind) -> Result {
        let mut control = self.control.lock();
        let cycles = match kind {
            ClockKind::Counter => None,
            ClockKind::Cycles => Some(match control.cycles.take() {
                Some(held) => held,
                None => self.claim_cycles()?,
            }),
        };
        let enabled = control.timing.is_some();
        self.stop_timing(&mut control);
        // Released, if so, only now that no probe reads the counter.
        control.cycles = cycles;
        control.clock = kind;
        match &control.cycles {
            Some(c) => clock::set(kind, c.hz, c.source),
            None => clock::set(kind, 0, clock::Source::Calibrated),
        }
        self.tree.reset();
        if enabled {
            self.start_chosen_timing(&mut control)
        } else {
            Ok(())
        }
    }

    /// Takes the cycle counters and measures their rate, which the
    /// probes then use and the files show.
    fn claim_cycles(&self) -> Result<HeldCycles> {
        let counters = CycleCounters::claim()?;
        let (cycles, ticks) = counters.calibrate()?;
        let Some(rate) = Rate::measured(cycles, ticks) else {
            pr_err!("the PMU cycle counter does not count ({cycles} cycles in {ticks} ticks)\n");
            return Err(ENODEV);
        };
        // No probe of the cycle clock is registered: it is not chosen yet.
        self.tree.pool().set_rate(rate);
        let (hz, source) = match cpufreq_max_hz() {
            Some(hz) => (hz, clock::Source::Cpufreq),
            None => (rate.hz(self.counter_hz), clock::Source::Calibrated),
        };
        pr_info!(
            "timing in CPU cycles: {} cycles per counter tick, {} Hz ({})\n",
            rate.hz(1),
            hz,
            if source == clock::Source::Cpufreq {
                "cpufreq"
            } else {
                "calibrated"
            }
        );
        Ok(HeldCycles {
            counters,
            hz,
            source,
        })
    }

    /// Empties every table and the destroyed VMs' totals.
    pub(crate) fn reset(&self) {
        self.tree.reset();
    }

    /// Stops everything before the module goes: the worker's queueing,
    /// the timing probes, vCPU creation, every vCPU's link to its entry,
    /// vCPU destruction, then the worker and the VMs' files. Entries are
    /// freed with the tree.
    pub(crate) fn shutdown(&self) {
        self.tree.stop_worker();
        let mut control = self.control.lock();
        self.stop_timing(&mut control);
        control.cycles = None;
        control.create = None;
        self.tree.detach_all();
        control.destroy = None;
        drop(control);
        self.tree.remove_all();
    }

    /// The control file's figures.
    pub(crate) fn status(&self) -> table::Status {
        let (enabled, cycle_counter) = {
            let control = self.control.lock();
            let owned = control.cycles.as_ref().map(|c| {
                let o = c.counters.ownership();
                Ownership {
                    owned: o.owned,
                    online: o.online,
                }
            });
            (control.timing.is_some(), owned)
        };
        let f = self.tree.figures();
        let mut memory = f.memory;
        // The pool's vector, the tree and the profiler, beside the registry.
        memory.total += (kmalloc_bytes(pool::POOL_MAX * core::mem::size_of::<usize>())
            + kmalloc_bytes(core::mem::size_of::<Tree>())
            + kmalloc_bytes(core::mem::size_of::<Profiler>())) as u64;
        table::Status {
            enabled,
            breakdowns: self.tree.pool().breakdowns(),
            cycle_counter,
            live_vms: f.live_vms,
            vcpus: f.vcpus,
            pool: f.pool,
            dropped_no_state: f.dropped_no_state,
            dropped_unpaired: f.dropped_unpaired,
            alloc_failures: f.alloc_failures,
            debugfs_failures: f.debugfs_failures,
            memory,
        }
    }
}
