// SPDX-License-Identifier: GPL-2.0

//! The profiler: attaches per-vCPU entries to vCPUs, keeps the debugfs
//! tree in step with VMs and vCPUs, and carries out control commands.
//!
//! Memory is only allocated in process context. Probes take ready,
//! zeroed entries from a pool that the worker (a work item) keeps filled
//! ahead of demand: a vCPU's creation raises the pool's target, so that a
//! new vCPU finds an entry on its first run. The worker also places
//! attached entries in their VM (directories and files), and retires the
//! entries of destroyed vCPUs and VMs, folding their statistics into the
//! destroyed VMs' totals.
//!
//! Locks, outermost first: `control` (enable, disable, reset), `registry`
//! (bookkeeping, sleeps), `pool` (spinlock, taken by probes). No lock is
//! held while a debugfs directory is removed: removal waits for readers,
//! and readers take `registry`.

use crate::clock;
use crate::debugfs::{Dir, FileOps};
use crate::entries::{
    HistogramView, StatsView, Status, VcpuEntry, VmEntry, VmResetView, VmSummaryView,
};
use crate::kvec_ext::VecExt;
use crate::kvm::{self, RawVcpu, VmName};
use crate::memory;
use crate::probes;
use crate::pure::table::Clock;
use crate::pure::text_buf::TextBuf;
use crate::registry::{Registry, VcpuSlot, VmSlot};
use crate::tracepoint::{self, Probe};
use core::ffi::c_void;
use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, AtomicUsize, Ordering};
use kernel::{
    c_str, new_mutex, new_spinlock, new_work,
    prelude::*,
    sync::{Arc, ArcBorrow, Mutex, SpinLock},
    workqueue::{self, impl_has_work, Work, WorkItem},
    ThisModule,
};

/// Entries kept ready beyond the vCPUs known to be coming.
const POOL_BASE: usize = 4;
/// At most this many entries wait in the pool (about 32 MiB).
const POOL_MAX: usize = 512;

/// Entries ready for probes to take (pointers into the registry's
/// `entries`), with room for `POOL_MAX` so that pushing never allocates.
struct Pool {
    free: KVec<*const VcpuEntry>,
}

// SAFETY: the pointers are handed between threads under the spinlock.
unsafe impl Send for Pool {}

/// The debugfs files' operation tables.
struct Fops {
    control: FileOps,
    summary: FileOps,
    vm_summary: FileOps,
    vm_reset: FileOps,
    vcpu_stats: FileOps,
    vcpu_histogram: FileOps,
}

/// The global summary file's view of the profiler.
#[repr(transparent)]
pub(crate) struct SummaryView(pub(crate) Profiler);

#[pin_data]
pub(crate) struct Profiler {
    #[pin]
    control: Mutex<bool>,
    #[pin]
    pub(crate) registry: Mutex<Registry>,
    #[pin]
    pool: SpinLock<Pool>,
    #[pin]
    work: Work<Profiler>,
    pub(crate) clock: Clock,
    fops: Fops,
    probes: Probes,
    counters: Counters,
}

struct Probes {
    timing: [Probe; 8],
    create: Probe,
    destroy: Probe,
}

#[derive(Default)]
struct Counters {
    /// Entries in the pool, readable without its lock.
    pool_len: AtomicUsize,
    /// vCPUs created and not attached yet (an estimate).
    awaiting: AtomicIsize,
    shutting_down: AtomicBool,
    /// The create and destroy probes are registered.
    lifetime_probes: AtomicBool,
    /// Events lost because no entry was available.
    dropped_no_state: AtomicU64,
    alloc_failures: AtomicU64,
    debugfs_failures: AtomicU64,
}

impl_has_work! {
    impl HasWork<Self> for Profiler { self.work }
}

impl WorkItem for Profiler {
    type Pointer = Arc<Profiler>;

    fn run(this: Arc<Profiler>) {
        this.work();
    }
}

impl Profiler {
    /// A profiler with its debugfs root and a filled pool, not yet
    /// attached to any tracepoint.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Arc<Profiler>> {
        let hz = clock::frequency();
        if hz == 0 {
            pr_err!("the arm64 counter reports a frequency of 0\n");
            return Err(ENODEV);
        }
        let registry = Registry::new(clock::now())?;
        let free = KVec::with_capacity(POOL_MAX, GFP_KERNEL)?;
        let this = Arc::pin_init(
            pin_init!(Profiler {
                control <- new_mutex!(false),
                registry <- new_mutex!(registry),
                pool <- new_spinlock!(Pool { free }),
                work <- new_work!("kvm_exit_timing::work"),
                clock: Clock { name: clock::NAME, hz },
                fops: Fops {
                    control: FileOps::read_write::<Profiler>(module),
                    summary: FileOps::read_only::<SummaryView>(module),
                    vm_summary: FileOps::read_only::<VmSummaryView>(module),
                    vm_reset: FileOps::write_only::<VmResetView>(module),
                    vcpu_stats: FileOps::read_only::<StatsView>(module),
                    vcpu_histogram: FileOps::read_only::<HistogramView>(module),
                },
                probes: Probes {
                    timing: probes::timing(),
                    create: probes::create(),
                    destroy: probes::destroy(),
                },
                counters: Counters::default(),
            }),
            GFP_KERNEL,
        )?;
        {
            let mut reg = this.registry.lock();
            let root = Dir::new_root(c_str!("kvm_exit_timing")).inspect_err(|e| {
                pr_err!(
                    "cannot create /sys/kernel/debug/kvm_exit_timing (error {}): is debugfs enabled?\n",
                    e.to_errno()
                )
            })?;
            // SAFETY: the files' data is the profiler and their operations
            // are its own; both outlive the root, removed in `shutdown`.
            unsafe {
                root.file(c_str!("control"), 0o600, &*this, &this.fops.control)?;
                let summary: *const SummaryView = (&*this as *const Profiler).cast();
                root.file(c_str!("summary"), 0o400, summary, &this.fops.summary)?;
            }
            reg.root = Some(root);
            this.refill(&mut reg);
        }
        Ok(this)
    }

    fn data(&self) -> *const c_void {
        (self as *const Profiler).cast()
    }

    /// Attaches the lifetime probes and starts timing.
    pub(crate) fn start(&self) -> Result {
        // SAFETY: the profiler outlives its probes: `shutdown` unregisters
        // them and synchronises before the profiler can be freed.
        unsafe {
            self.probes.create.register(self.data())?;
            if let Err(e) = self.probes.destroy.register(self.data()) {
                self.probes.create.unregister(self.data());
                tracepoint::synchronize();
                return Err(e);
            }
        }
        self.counters.lifetime_probes.store(true, Ordering::Relaxed);
        // If timing cannot start, `shutdown` unregisters the lifetime
        // probes: a vCPU may have attached meanwhile.
        self.set_enabled(true)
    }

    /// Enables or disables timing. Disabling forgets pending intervals, so
    /// that timing resumes cleanly from the next exit.
    pub(crate) fn set_enabled(&self, enable: bool) -> Result {
        let mut enabled = self.control.lock();
        if *enabled == enable {
            return Ok(());
        }
        if enable {
            for (i, p) in self.probes.timing.iter().enumerate() {
                // SAFETY: as in `start`.
                if let Err(e) = unsafe { p.register(self.data()) } {
                    for q in self.probes.timing[..i].iter().rev() {
                        q.unregister(self.data());
                    }
                    tracepoint::synchronize();
                    return Err(e);
                }
            }
        } else {
            for p in self.probes.timing.iter().rev() {
                p.unregister(self.data());
            }
            tracepoint::synchronize();
            let reg = self.registry.lock();
            let _pool = self.pool.lock();
            for e in reg.in_use() {
                // The recorder's one writer here: no timing probe runs any
                // more, and the destroy probe takes the pool lock held here.
                e.recorder.stop();
            }
        }
        *enabled = enable;
        Ok(())
    }

    pub(crate) fn enabled(&self) -> bool {
        *self.control.lock()
    }

    /// Empties every table and the destroyed VMs' totals.
    pub(crate) fn reset_all(&self) {
        let _control = self.control.lock();
        let mut reg = self.registry.lock();
        let now = clock::now();
        reg.reset_at = now;
        for vm in reg.vms.iter() {
            vm.vm.reset_at.store(now, Ordering::Relaxed);
        }
        for e in reg.in_use() {
            e.recorder.request_reset(now);
        }
        reg.retired.clear();
        reg.retired_unpaired = 0;
        reg.destroyed_vms = 0;
    }

    /// Empties one VM's tables.
    pub(crate) fn reset_vm(&self, vm: &VmEntry) {
        let _control = self.control.lock();
        let reg = self.registry.lock();
        let now = clock::now();
        let Some(slot) = reg.vms.iter().find(|s| core::ptr::eq(&*s.vm, vm)) else {
            return;
        };
        vm.reset_at.store(now, Ordering::Relaxed);
        for e in slot.entries() {
            e.recorder.request_reset(now);
        }
    }

    /// Queues the worker.
    fn kick(&self) {
        if self.counters.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        // SAFETY: the profiler lives in an `Arc` (see `new`) that the module
        // holds until after the worker was flushed.
        let this: Arc<Profiler> = unsafe { ArcBorrow::from_raw(self) }.into();
        // Already queued: it will see this request too.
        let _ = workqueue::system().enqueue(this);
    }

    /// Probe context: gives `vcpu` an entry from the pool.
    pub(crate) fn attach(&self, vcpu: RawVcpu) -> Option<&VcpuEntry> {
        let now = clock::now();
        let taken = if self.counters.pool_len.load(Ordering::Relaxed) == 0 {
            None
        } else {
            // SAFETY: probes run inside an ioctl of the vCPU (KVM_RUN, or
            // another that loads it), whose file holds a reference on
            // the VM.
            let name = unsafe { kvm::vm_debugfs_name(kvm::vm(vcpu)) };
            let mut pool = self.pool.lock();
            let taken = pool.free.pop();
            if let Some(e) = taken {
                // SAFETY: entries in the pool belong to the registry, which
                // frees them only after taking them out of the pool.
                let e = unsafe { &*e };
                e.recorder.set_origin(now);
                e.set_vm_name(name.as_ref());
                e.set_vcpu(vcpu);
                e.set_status(Status::Attached);
                // SAFETY: the probe's vCPU is live.
                unsafe { kvm::slot(vcpu) }
                    .store((e as *const VcpuEntry).cast_mut().cast(), Ordering::Release);
                self.counters
                    .pool_len
                    .store(pool.free.len(), Ordering::Relaxed);
            }
            taken
        };
        self.kick();
        match taken {
            Some(e) => {
                self.one_less_awaited();
                // SAFETY: as above; it stays allocated while the vCPU lives.
                Some(unsafe { &*e })
            }
            None => {
                self.counters
                    .dropped_no_state
                    .fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// vCPUs that existed before the module count as not awaited: never
    /// below zero.
    fn one_less_awaited(&self) {
        let _ = self
            .counters
            .awaiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| {
                (a > 0).then_some(a - 1)
            });
    }

    /// Probe context: a vCPU was created; make sure an entry awaits it.
    pub(crate) fn vcpu_created(&self) {
        self.counters.awaiting.fetch_add(1, Ordering::Relaxed);
        self.kick();
    }

    /// Probe context: `vcpu` is being destroyed.
    pub(crate) fn vcpu_destroyed(&self, vcpu: RawVcpu) {
        let pool = self.pool.lock();
        // SAFETY: the vCPU is live until the destroy tracepoint returns.
        let p = unsafe { kvm::slot(vcpu) }.swap(core::ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: a non-null slot holds one of our entries.
        match unsafe { p.cast::<VcpuEntry>().as_ref() } {
            Some(e) => {
                // The recorder's one writer here: the vCPU's thread is done
                // with it, and `set_enabled` takes the pool lock held here.
                e.recorder.on_destroy();
                e.set_vcpu(core::ptr::null_mut());
                e.set_status(Status::Dead);
            }
            // Never attached: no longer awaited.
            None => self.one_less_awaited(),
        }
        drop(pool);
        if !p.is_null() {
            self.kick();
        }
    }

    /// The worker: retire, place, refill.
    fn work(&self) {
        if self.counters.shutting_down.load(Ordering::Relaxed) {
            return;
        }
        // Removed after the registry is unlocked, directories first (each
        // VM's vCPU directories before the VM's), then what they showed.
        let mut dirs = KVec::new();
        let mut entries = KVec::new();
        let mut vms = KVec::new();
        self.retire(&mut self.registry.lock(), &mut dirs, &mut entries, &mut vms);
        // Before placing: a new VM may take a retired one's name (KVM
        // reuses the fd number), and its directory could not be made
        // while the old one exists.
        drop(dirs);
        {
            let mut reg = self.registry.lock();
            self.place(&mut reg);
            self.refill(&mut reg);
        }
        drop(entries);
        drop(vms);
    }

    /// Retires dead entries and the VMs whose vCPUs all died.
    fn retire(
        &self,
        reg: &mut Registry,
        dirs: &mut KVec<Dir>,
        entries: &mut KVec<VBox<VcpuEntry>>,
        vms: &mut KVec<KBox<VmEntry>>,
    ) {
        // Each step moves at most everything there is: reserve that first,
        // so that nothing is left half done for lack of memory.
        let n = reg.entries.len() + reg.vms.len();
        if dirs.reserve(n, GFP_KERNEL).is_err()
            || entries.reserve(reg.entries.len(), GFP_KERNEL).is_err()
            || vms.reserve(reg.vms.len(), GFP_KERNEL).is_err()
        {
            self.counters.alloc_failures.fetch_add(1, Ordering::Relaxed);
            return;
        }
        // Dead entries that never reached a VM.
        let mut i = 0;
        while i < reg.entries.len() {
            let e = &*reg.entries.as_slice()[i];
            if e.status() == Status::Dead && e.vm().is_null() {
                let e = reg.entries.swap_remove(i);
                reg.fold(&e);
                let _ = entries.push(e, GFP_KERNEL);
            } else {
                i += 1;
            }
        }
        // Dead vCPUs lose their directory at once; a VM goes with its last.
        let mut v = 0;
        while v < reg.vms.len() {
            let slot = &mut reg.vms.as_mut_slice()[v];
            for vcpu in slot.vcpus.as_mut_slice() {
                // SAFETY: entries of a VM slot are owned by the registry.
                if unsafe { &*vcpu.entry }.status() == Status::Dead {
                    if let Some(d) = vcpu.dir.take() {
                        let _ = dirs.push(d, GFP_KERNEL);
                    }
                }
            }
            if !slot.all_dead() {
                v += 1;
                continue;
            }
            let mut slot = reg.vms.swap_remove(v);
            for vcpu in slot.vcpus.as_slice() {
                if let Some(e) = reg.take_entry(vcpu.entry) {
                    reg.fold(&e);
                    let _ = entries.push(e, GFP_KERNEL);
                }
            }
            if let Some(d) = slot.dir.take() {
                let _ = dirs.push(d, GFP_KERNEL);
            }
            reg.destroyed_vms += 1;
            let _ = vms.push(slot.vm, GFP_KERNEL);
        }
    }

    /// Places attached entries in their VM, creating directories.
    fn place(&self, reg: &mut Registry) {
        let mut i = 0;
        while i < reg.entries.len() {
            let e: *const VcpuEntry = &*reg.entries.as_slice()[i];
            i += 1;
            // SAFETY: owned by the registry, locked by the caller.
            let e = unsafe { &*e };
            if e.status() != Status::Attached {
                continue;
            }
            let seen = reg.vms_seen;
            let (kvm, id, name) = {
                let _pool = self.pool.lock();
                if e.status() != Status::Attached {
                    continue;
                }
                let vcpu = e.vcpu();
                // SAFETY: an attached entry's vCPU is live: its destruction
                // marks the entry dead under the pool lock held here. (Not
                // so the VM's debugfs directory: the name was copied at
                // attach.)
                let (kvm, id) = unsafe { (kvm::vm(vcpu), kvm::id(vcpu)) };
                (
                    kvm,
                    id,
                    e.vm_name().unwrap_or_else(|| kvm::fallback_name(seen)),
                )
            };
            let index = match reg.vm_for(kvm) {
                Some(index) => index,
                None => match self.new_vm(reg, kvm, name) {
                    Ok(index) => index,
                    Err(_) => {
                        self.counters.alloc_failures.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                },
            };
            if reg.vms.as_mut_slice()[index]
                .vcpus
                .reserve(1, GFP_KERNEL)
                .is_err()
            {
                self.counters.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let slot = &mut reg.vms.as_mut_slice()[index];
            e.set_vcpu_id(id);
            e.set_vm(&*slot.vm);
            let dir = self.vcpu_dir(slot.dir.as_ref(), e, id);
            let _ = slot.vcpus.push(VcpuSlot { entry: e, dir }, GFP_KERNEL);
            // If the vCPU died meanwhile, the next retire takes it.
            e.make_live();
        }
    }

    fn new_vm(&self, reg: &mut Registry, kvm: kvm::RawVm, name: VmName) -> Result<usize> {
        reg.vms.reserve(1, GFP_KERNEL)?;
        let vm = KBox::new(
            VmEntry {
                kvm,
                name,
                reset_at: AtomicU64::new(clock::now()),
                profiler: self,
            },
            GFP_KERNEL,
        )?;
        reg.vms_seen += 1;
        let dir = match reg.root.as_ref().map(|r| r.subdir(kvm::as_cstr(&vm.name)?)) {
            Some(Ok(dir)) => {
                let summary: *const VmSummaryView = (&*vm as *const VmEntry).cast();
                let reset: *const VmResetView = summary.cast();
                // SAFETY: the VM entry outlives its directory (retire drops
                // the directory before the entry); the operations are the
                // profiler's, which outlives every directory.
                let made = unsafe {
                    dir.file(c_str!("summary"), 0o400, summary, &self.fops.vm_summary)
                        .and_then(|_| dir.file(c_str!("reset"), 0o200, reset, &self.fops.vm_reset))
                };
                if made.is_err() {
                    self.counters
                        .debugfs_failures
                        .fetch_add(1, Ordering::Relaxed);
                }
                Some(dir)
            }
            _ => {
                self.counters
                    .debugfs_failures
                    .fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        let _ = reg.vms.push(
            VmSlot {
                vm,
                dir,
                vcpus: KVec::new(),
            },
            GFP_KERNEL,
        );
        Ok(reg.vms.len() - 1)
    }

    fn vcpu_dir(&self, vm_dir: Option<&Dir>, e: &VcpuEntry, id: u32) -> Option<Dir> {
        let mut name = TextBuf::<16>::new();
        let made = vm_dir
            .ok_or(ENOENT)
            .and_then(|d| {
                write!(name, "vcpu{id}").map_err(|_| EINVAL)?;
                d.subdir(kvm::as_cstr(&name)?)
            })
            .and_then(|dir| {
                let stats: *const StatsView = (e as *const VcpuEntry).cast();
                let hist: *const HistogramView = stats.cast();
                // SAFETY: the entry outlives its directory (retire drops the
                // directory first); the operations are the profiler's.
                unsafe {
                    dir.file(c_str!("stats"), 0o400, stats, &self.fops.vcpu_stats)?;
                    dir.file(c_str!("histogram"), 0o400, hist, &self.fops.vcpu_histogram)?;
                }
                Ok(dir)
            });
        made.inspect_err(|_| {
            self.counters
                .debugfs_failures
                .fetch_add(1, Ordering::Relaxed);
        })
        .ok()
    }

    /// Keeps the pool at its target: a few entries, plus one per vCPU that
    /// was created and has not run yet.
    fn refill(&self, reg: &mut Registry) {
        let awaiting = self.counters.awaiting.load(Ordering::Relaxed).max(0) as usize;
        let target = (POOL_BASE + awaiting).min(POOL_MAX);
        while self.counters.pool_len.load(Ordering::Relaxed) < target {
            if reg.entries.reserve(1, GFP_KERNEL).is_err() {
                self.counters.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            }
            let Ok(e) = VBox::<VcpuEntry>::init(kernel::init::zeroed(), GFP_KERNEL) else {
                self.counters.alloc_failures.fetch_add(1, Ordering::Relaxed);
                return;
            };
            let p: *const VcpuEntry = &*e;
            let _ = reg.entries.push(e, GFP_KERNEL);
            let mut pool = self.pool.lock();
            // Capacity is POOL_MAX and the pool never holds more: no
            // allocation under the spinlock.
            let _ = pool.free.push(p, GFP_ATOMIC);
            self.counters
                .pool_len
                .store(pool.free.len(), Ordering::Relaxed);
        }
        // Give back what a burst of vCPU creations left unused.
        while self.counters.pool_len.load(Ordering::Relaxed) > target + POOL_BASE {
            let p = {
                let mut pool = self.pool.lock();
                let p = pool.free.pop();
                self.counters
                    .pool_len
                    .store(pool.free.len(), Ordering::Relaxed);
                p
            };
            match p {
                Some(p) => drop(reg.take_entry(p)),
                None => break,
            }
        }
    }

    /// Stops everything before the module goes: probes, then every vCPU's
    /// link to its entry, then the worker, then the debugfs tree. Entries
    /// are freed when the profiler is.
    pub(crate) fn shutdown(&self) {
        self.counters.shutting_down.store(true, Ordering::Relaxed);
        let _ = self.set_enabled(false);
        // Unregistering a probe that is not registered makes the kernel
        // warn: `start` may have failed before these were.
        let lifetime = self.counters.lifetime_probes.swap(false, Ordering::Relaxed);
        if lifetime {
            self.probes.create.unregister(self.data());
        }
        tracepoint::synchronize();
        {
            let reg = self.registry.lock();
            let _pool = self.pool.lock();
            for e in reg.entries.iter() {
                if matches!(e.status(), Status::Attached | Status::Live) {
                    // SAFETY: attached and live entries' vCPUs are alive:
                    // destruction marks them dead under the pool lock.
                    unsafe { kvm::slot(e.vcpu()) }.store(core::ptr::null_mut(), Ordering::Release);
                    e.set_vcpu(core::ptr::null_mut());
                    e.set_status(Status::Detached);
                }
            }
        }
        if lifetime {
            self.probes.destroy.unregister(self.data());
        }
        tracepoint::synchronize();
        // Nothing queues the worker any more; wait for a queued run, which
        // sees `shutting_down` and returns.
        // SAFETY: `work` is this profiler's initialised work item.
        unsafe { kernel::bindings::flush_work(Work::raw_get(&self.work)) };
        let (root, vms) = {
            let mut reg = self.registry.lock();
            (
                reg.root.take(),
                core::mem::replace(&mut reg.vms, KVec::new()),
            )
        };
        for mut vm in vms {
            for vcpu in vm.vcpus.as_mut_slice() {
                drop(vcpu.dir.take());
            }
            drop(vm.dir.take());
        }
        drop(root);
    }

    /// Counters of the control file, under the registry lock.
    pub(crate) fn status(&self) -> crate::pure::table::Status {
        let enabled = self.enabled();
        let reg = self.registry.lock();
        let unpaired = reg
            .in_use()
            .map(|e| e.recorder.anomalies().unpaired)
            .fold(reg.retired_unpaired, u64::saturating_add);
        crate::pure::table::Status {
            enabled,
            live_vms: reg.vms.iter().filter(|v| !v.closing()).count() as u64,
            vcpus: reg
                .entries
                .iter()
                .filter(|e| matches!(e.status(), Status::Attached | Status::Live))
                .count() as u64,
            pool: self.counters.pool_len.load(Ordering::Relaxed) as u64,
            dropped_no_state: self.counters.dropped_no_state.load(Ordering::Relaxed),
            dropped_unpaired: unpaired,
            alloc_failures: self.counters.alloc_failures.load(Ordering::Relaxed),
            debugfs_failures: self.counters.debugfs_failures.load(Ordering::Relaxed),
            // The pool's vector and the profiler itself, beside the registry.
            memory: {
                let mut m = reg.memory();
                m.total += (memory::kmalloc_bytes(POOL_MAX * core::mem::size_of::<usize>())
                    + memory::kmalloc_bytes(core::mem::size_of::<Profiler>()))
                    as u64;
                m
            },
        }
    }
}
