// SPDX-License-Identifier: GPL-2.0

//! The profiler, split by the context each part runs in:
//! - here, its lifecycle (start, unload) and the control commands
//!   (enable, disable, reset), in process context;
//! - `probes.rs` and `pool.rs`: the probes and their data, the pool, in
//!   probe context (preemption disabled, nothing that sleeps);
//! - `tree.rs`: the work item that keeps the pool filled and the debugfs
//!   tree in step with VMs and vCPUs.

mod pool;
mod probes;
mod tree;

pub(crate) use tree::{Tree, TreeFiles};

use crate::pure::table::{self, Clock};
use crate::sys::clock;
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
}

#[pin_data]
pub(crate) struct Profiler {
    tree: Arc<Tree>,
    clock: Clock,
    #[pin]
    control: Mutex<Control>,
}

impl Profiler {
    /// A profiler with its debugfs root and a filled pool, not yet
    /// attached to any tracepoint.
    /// `files` are those each VM and vCPU gets.
    pub(crate) fn new(files: &'static TreeFiles) -> Result<Arc<Profiler>> {
        let hz = clock::frequency();
        if hz == 0 {
            pr_err!("the arm64 counter reports a frequency of 0\n");
            return Err(ENODEV);
        }
        let control = Control {
            create: None,
            destroy: None,
            timing: None,
            exit_hook: None,
        };
        let tree = Tree::new(files)?;
        Arc::pin_init(
            pin_init!(Profiler {
                tree,
                clock: Clock { name: clock::NAME, hz },
                control <- new_mutex!(control, "Profiler::control"),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn tree(&self) -> &Arc<Tree> {
        &self.tree
    }

    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    /// Attaches the lifetime probes and starts timing. If this fails,
    /// [`Self::shutdown`] undoes what was done.
    pub(crate) fn start(&self) -> Result {
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
            (true, false) => {
                let timing = Probes::register(self.tree.clone(), probes::timing)?;
                match ExitHook::register(self.tree.clone(), probes::exit_hook) {
                    Ok(hook) => {
                        control.timing = Some(timing);
                        control.exit_hook = Some(hook);
                    }
                    Err(e) => {
                        if e == EBUSY {
                            pr_err!("KVM's exit hook is taken by another module\n");
                        }
                        drop(timing);
                        self.tree.stop_recorders();
                        return Err(e);
                    }
                }
            }
            (false, true) => {
                // Unregisters them, and waits for the calls in flight.
                control.exit_hook = None;
                control.timing = None;
                self.tree.stop_recorders();
            }
            _ => {}
        }
        Ok(())
    }

    pub(crate) fn enabled(&self) -> bool {
        self.control.lock().timing.is_some()
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
        control.exit_hook = None;
        if control.timing.take().is_some() {
            self.tree.stop_recorders();
        }
        control.create = None;
        self.tree.detach_all();
        control.destroy = None;
        drop(control);
        self.tree.remove_all();
    }

    /// The control file's figures.
    pub(crate) fn status(&self) -> table::Status {
        let enabled = self.enabled();
        let f = self.tree.figures();
        let mut memory = f.memory;
        // The pool's vector, the tree and the profiler, beside the registry.
        memory.total += (kmalloc_bytes(pool::POOL_MAX * core::mem::size_of::<usize>())
            + kmalloc_bytes(core::mem::size_of::<Tree>())
            + kmalloc_bytes(core::mem::size_of::<Profiler>())) as u64;
        table::Status {
            enabled,
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
