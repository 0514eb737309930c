// SPDX-License-Identifier: GPL-2.0

//! The tree: the worker (a work item) that keeps the pool filled and the
//! debugfs tree in step with VMs and vCPUs, and the registry it keeps.
//!
//! Memory is only allocated here, in process context. Each run retires
//! the VMs whose vCPUs all died (folding their statistics into the
//! destroyed VMs' totals), places entries that probes attached in their VM
//! (creating its directory and files), and refills the pool.
//!
//! Locks, outermost first: `Tree::registry` (sleeps), `VmEntry::vcpus`
//! (sleeps), `Pool::free` (a spinlock, taken by probes). No lock is held
//! while a directory is removed: removal waits for readers, and readers
//! take the first two.

use super::pool::{Pool, POOL_BASE};
use crate::entries::{Status, VcpuEntry, VmEntry, VCPU_FILES, VM_FILES};
use crate::pure::table::Memory;
use crate::pure::text_buf::TextBuf;
use crate::registry::{Registry, VmSlot};
use crate::sys::clock;
use crate::sys::debugfs::{self, Dir, FileSpec, Files};
use crate::sys::kvm;
use crate::sys::workqueue::flush;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::{
    c_str, new_mutex, new_work,
    prelude::*,
    sync::{
        lock::{mutex::MutexBackend, Guard},
        Arc, ArcBorrow, Mutex,
    },
    workqueue::{self, impl_has_work, Work, WorkItem},
};

#[pin_data(PinnedDrop)]
pub(crate) struct Tree {
    /// The probes' data.
    #[pin]
    pool: Pool,
    #[pin]
    registry: Mutex<Registry>,
    #[pin]
    work: Work<Tree>,
    /// The module's debugfs directory.
    root: Dir,
    files: &'static TreeFiles,
    /// Unloading: the worker is not queued any more, and does nothing.
    shutting_down: AtomicBool,
    alloc_failures: AtomicU64,
    debugfs_failures: AtomicU64,
}

#[pinned_drop]
impl PinnedDrop for Tree {
    fn drop(self: Pin<&mut Self>) {
        // Normally done by `remove_all`; here too if the profiler failed
        // to start.
        self.pool.withdraw();
    }
}

impl_has_work! {
    impl HasWork<Self> for Tree { self.work }
}

impl WorkItem for Tree {
    type Pointer = Arc<Tree>;

    fn run(this: Arc<Tree>) {
        this.work();
    }
}

/// The files each VM and vCPU gets.
pub(crate) struct TreeFiles {
    pub(crate) vm: [FileSpec<VmEntry>; VM_FILES],
    pub(crate) vcpu: [FileSpec<VcpuEntry>; VCPU_FILES],
}

/// The counters of the control file that the tree keeps.
pub(crate) struct Figures {
    pub(crate) live_vms: u64,
    pub(crate) vcpus: u64,
    pub(crate) pool: u64,
    pub(crate) dropped_no_state: u64,
    pub(crate) dropped_unpaired: u64,
    pub(crate) alloc_failures: u64,
    pub(crate) debugfs_failures: u64,
    pub(crate) memory: Memory,
}

impl Tree {
    /// The debugfs root and a filled pool; VMs and vCPUs will get `files`.
    pub(crate) fn new(files: &'static TreeFiles) -> Result<Arc<Tree>> {
        let root = Dir::root(c_str!("kvm_exit_timing")).inspect_err(|e| {
            pr_err!(
                "cannot create /sys/kernel/debug/kvm_exit_timing (error {}): is debugfs enabled?\n",
                e.to_errno()
            )
        })?;
        let registry = Registry::new(clock::now())?;
        let pool = Pool::new(Tree::kick_from_pool)?;
        let tree = Arc::pin_init(
            pin_init!(Tree {
                pool <- pool,
                registry <- new_mutex!(registry, "Tree::registry"),
                work <- new_work!("kvm_exit_timing::worker"),
                root,
                files,
                shutting_down: AtomicBool::new(false),
                alloc_failures: AtomicU64::new(0),
                debugfs_failures: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )?;
        tree.refill(&mut tree.registry.lock());
        // In its `Arc` now: it stays where it is until it is dropped, after
        // `remove_all` withdrew it.
        tree.pool.publish();
        Ok(tree)
    }

    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub(crate) fn root(&self) -> &Dir {
        &self.root
    }

    /// The bookkeeping, locked: for the summary file.
    pub(crate) fn registry(&self) -> Guard<'_, Registry, MutexBackend> {
        self.registry.lock()
    }

    /// The pool's `kick`.
    fn kick_from_pool(pool: &Pool) {
        // SAFETY: `Tree::new` gives this function to the pool it places in
        // a tree, and nothing else refers to it: `pool` is a tree's field.
        let tree = unsafe { &*kernel::container_of!(pool, Tree, pool) };
        tree.kick();
    }

    /// Queues the worker (already queued: it will see this request too).
    fn kick(&self) {
        if self.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: trees live in an `Arc` (see `new`), which the profiler
        // holds until after the worker was flushed.
        let this: Arc<Tree> = unsafe { ArcBorrow::from_raw(self) }.into();
        let _ = workqueue::system().enqueue(this);
    }

    /// The worker: retire, place, refill.
    fn work(&self) {
        if self.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        // Retired VMs are removed after the registry is unlocked, and
        // before placing: a new VM may take a retired one's name (KVM
        // reuses the fd number), and its directory could not be made while
        // the old one exists.
        let dead = self.retire(&mut self.registry.lock());
        drop(dead);
        let mut reg = self.registry.lock();
        self.place(&mut reg);
        self.refill(&mut reg);
    }

    /// Frees entries that died before they were placed, and takes out the
    /// VMs whose vCPUs all died.
    fn retire(&self, reg: &mut Registry) -> KVec<VmSlot> {
        while let Some(e) = reg.take_with_status(Status::Dead) {
            if reg.fold(&e).is_err() {
                self.alloc_failures.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Room for every VM, reserved first, so that nothing is left half
        // done for lack of memory.
        let mut dead = KVec::new();
        if dead.reserve(reg.vm_count(), GFP_KERNEL).is_err() {
            self.alloc_failures.fetch_add(1, Ordering::Relaxed);
            return dead;
        }
        while let Some(vm) = reg.take_dead_vm() {
            let _ = dead.push(vm, GFP_KERNEL);
        }
        dead
    }

    /// Places attached entries in their VM, with their files.
    fn place(&self, reg: &mut Registry) {
        while let Some(e) = reg.take_with_status(Status::Attached) {
            if let Err(e) = self.place_one(reg, e) {
                // Tried again at the next run.
                reg.put_back(e);
                self.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
    }

    fn place_one(&self, reg: &mut Registry, e: VBox<VcpuEntry>) -> Result<(), VBox<VcpuEntry>> {
        let Some(vm) = reg.vm_for(e.vm()) else {
            return self.new_vm(reg, e);
        };
        if vm.vm().reserve_vcpu().is_err() {
            return Err(e);
        }
        self.add_vcpu(vm.vm(), vm.dir.as_ref(), e);
        Ok(())
    }

    /// Places `first` in a new VM. The VM's files appear with it in place:
    /// a VM's summary never covers no vCPU.
    fn new_vm(&self, reg: &mut Registry, first: VBox<VcpuEntry>) -> Result<(), VBox<VcpuEntry>> {
        let name = first
            .vm_name()
            .unwrap_or_else(|| kvm::fallback_name(reg.vms_seen()));
        let made = reg.reserve_vm().and_then(|()| {
            let vm = KBox::pin_init(VmEntry::new(first.vm(), name), GFP_KERNEL)?;
            vm.reserve_vcpu()?;
            Ok(vm)
        });
        let vm = match made {
            Ok(vm) => vm,
            Err(_) => return Err(first),
        };
        let dir = debugfs::name(&vm.name).and_then(|name| self.root.subdir(name));
        if dir.is_err() {
            self.count_debugfs(Err(ENOENT));
        }
        self.add_vcpu(&vm, dir.as_ref().ok(), first);
        let (files, made) = Files::new(dir.as_ref().ok(), vm, self.files.vm);
        if dir.is_ok() {
            self.count_debugfs(made);
        }
        reg.add_vm(VmSlot {
            dir: dir.ok(),
            files,
        });
        Ok(())
    }

    /// Adds `e` to `vm`, whose vCPU list has room for it, with its files in
    /// `vm_dir`.
    fn add_vcpu(&self, vm: &VmEntry, vm_dir: Option<&Dir>, e: VBox<VcpuEntry>) {
        e.set_vm_name(Some(&vm.name));
        let dir = vcpu_dir(vm_dir, e.vcpu_id());
        let (node, made) = Files::new(dir.as_ref(), e, self.files.vcpu);
        self.count_debugfs(made);
        // If the vCPU died meanwhile, the next retire takes it.
        node.get().make_live();
        vm.add_vcpu(node);
    }

    fn count_debugfs(&self, made: Result) {
        if made.is_err() {
            self.debugfs_failures.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Keeps the pool at its target, and gives back what a burst of vCPU
    /// creations left unused. New entries get the tables of the
    /// breakdowns on.
    fn refill(&self, reg: &mut Registry) {
        let target = self.pool.target();
        while self.pool.len() < target {
            let Ok(e) = VBox::<VcpuEntry>::init(kernel::init::zeroed(), GFP_KERNEL) else {
                self.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            };
            if e.add_breakdowns(self.pool.breakdowns()).is_err() {
                self.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match reg.add_entry(e) {
                Ok(e) => self.pool.push(e),
                Err(_) => {
                    self.alloc_failures.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        }
        while self.pool.len() > target + POOL_BASE {
            match self.pool.take() {
                Some(p) => drop(reg.take_entry(p)),
                None => break,
            }
        }
    }

    // ---- Control.

    /// Sets the breakdowns on to `on`, first giving every entry the
    /// tables of those in it. Under the registry's lock, as `refill`
    /// reads them: every entry made from then on has them too.
    pub(crate) fn set_breakdowns(&self, on: u8) -> Result {
        let reg = self.registry.lock();
        let mut made = Ok(());
        reg.for_each_entry(|e| {
            if made.is_ok() {
                made = e.add_breakdowns(on);
            }
        });
        if made.is_err() {
            self.alloc_failures.fetch_add(1, Ordering::Relaxed);
            return made;
        }
        let off = self.pool.breakdowns() & !on;
        self.pool.set_breakdowns(on);
        if off != 0 {
            // The entries waiting in the pool give their tables back:
            // replaced by new ones with the tables of those still on.
            let mut reg = reg;
            while let Some(p) = self.pool.take() {
                drop(reg.take_entry(p));
            }
            self.refill(&mut reg);
        }
        Ok(())
    }

    /// Forgets every pending interval: no timing probe runs any more.
    pub(crate) fn stop_recorders(&self) {
        self.registry.lock().for_each_group(|group| {
            self.pool
                .with_links(|links| group.for_each(|e| e.stop(links)))
        });
    }

    /// Empties every table and the destroyed VMs' totals.
    pub(crate) fn reset(&self) {
        let mut reg = self.registry.lock();
        reg.reset(clock::now());
        reg.for_each_group(|group| {
            self.pool
                .with_links(|links| group.for_each(|e| e.reset_el2(links)))
        });
    }

    /// The tree's counters, for the control file.
    pub(crate) fn figures(&self) -> Figures {
        let reg = self.registry.lock();
        let mut vcpus = 0;
        reg.for_each_entry(|e| {
            vcpus += u64::from(matches!(e.status(), Status::Attached | Status::Live));
        });
        Figures {
            live_vms: reg.live_vms(),
            vcpus,
            pool: self.pool.len() as u64,
            dropped_no_state: self.pool.dropped_no_state(),
            dropped_unpaired: reg.unpaired(),
            alloc_failures: self.alloc_failures.load(Ordering::Relaxed),
            debugfs_failures: self.debugfs_failures.load(Ordering::Relaxed),
            memory: reg.memory(),
        }
    }

    // ---- Unloading, in this order.

    /// The worker does nothing from now on and is never queued again.
    pub(crate) fn stop_worker(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }

    /// Unlinks every vCPU from its entry: no probe that attaches runs any
    /// more, and the vCPU destruction probe still does.
    pub(crate) fn detach_all(&self) {
        self.registry.lock().for_each_group(|group| {
            self.pool
                .with_links(|links| group.for_each(|e| e.detach(links)))
        });
    }

    /// Waits for the worker, then removes the VMs' directories and files.
    pub(crate) fn remove_all(&self) {
        flush(&self.work);
        let vms = self.registry.lock().take_vms();
        drop(vms);
        self.pool.withdraw();
    }
}

/// A vCPU's directory, `vcpu<id>`, in its VM's.
fn vcpu_dir(vm_dir: Option<&Dir>, id: u32) -> Option<Dir> {
    let mut name = TextBuf::<16>::new();
    write!(name, "vcpu{id}").ok()?;
    vm_dir?.subdir(debugfs::name(&name).ok()?).ok()
}
