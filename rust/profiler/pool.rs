// SPDX-License-Identifier: GPL-2.0

//! The pool: per-vCPU entries ready for probe context, and what the probes
//! may do besides timing (attach an entry, note a vCPU's creation and
//! destruction).
//!
//! Probes cannot allocate: they take ready, zeroed entries that the worker
//! keeps in the pool ahead of demand. A vCPU's creation raises the pool's
//! target, so that a new vCPU finds an entry on its first run. The pool's
//! lock is a spinlock, the innermost lock of the module.

use crate::entries::{VcpuEntry, VcpuLinks};
use crate::pure::host_irq::{IrqLabel, IrqNames};
use crate::pure::rate::Rate;
use crate::sys::clock;
use crate::sys::kvm::{RunningVcpu, Vcpu};
use crate::sys::vec::VecExt;
use core::sync::atomic::{AtomicIsize, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
use kernel::{new_spinlock, prelude::*, sync::SpinLock};

/// Entries kept ready beyond the vCPUs known to be coming.
pub(crate) const POOL_BASE: usize = 4;
/// At most this many entries wait in the pool (about 32 MiB).
pub(crate) const POOL_MAX: usize = 512;

/// The pool, for the files: they read the counts KVM keeps in a vCPU,
/// which its lock keeps alive, but hold no reference to the tree. Set by
/// [`Pool::publish`] once the pool is in place, cleared by
/// [`Pool::withdraw`] after the last such file went.
static PUBLISHED: AtomicPtr<Pool> = AtomicPtr::new(core::ptr::null_mut());

/// Runs `f` with the right to link and unlink vCPUs, which keeps every
/// linked vCPU alive meanwhile (see `entries.rs`); `None` once the pool
/// is withdrawn.
pub(crate) fn with_links<R>(f: impl FnOnce(&mut VcpuLinks) -> R) -> Option<R> {
    with_pool(|pool| pool.with_links(f))
}

/// `f` on the published pool, if any.
fn with_pool<R>(f: impl FnOnce(&Pool) -> R) -> Option<R> {
    let p = PUBLISHED.load(Ordering::Acquire);
    // SAFETY: a published pool stays in place until it is withdrawn, which
    // happens only after every file that calls this was removed, and
    // removal waits for the calls in progress.
    let pool = unsafe { p.as_ref() }?;
    Some(f(pool))
}

/// The label of host IRQ `irq`, for the files.
pub(crate) fn irq_label(irq: u32) -> IrqLabel {
    with_pool(|p| p.irq_names.label(irq)).unwrap_or(IrqLabel::unnamed(irq))
}

/// The breakdowns on, for the files (none once the pool is withdrawn).
pub(crate) fn breakdowns_on() -> u8 {
    with_pool(Pool::breakdowns).unwrap_or(0)
}

/// What the pool's lock protects.
pub(crate) struct Free {
    /// Ready entries, owned by the registry (which frees one only after
    /// taking it out of here), with room for `POOL_MAX` so that pushing
    /// never allocates.
    entries: KVec<*const VcpuEntry>,
    links: VcpuLinks,
}

// SAFETY: the pointers are handed between threads under the lock, and the
// entries they point to are `Sync`.
unsafe impl Send for Free {}

#[pin_data]
pub(crate) struct Pool {
    #[pin]
    free: SpinLock<Free>,
    /// Entries in `free`, readable without the lock.
    len: AtomicUsize,
    /// vCPUs created and not attached yet (an estimate).
    awaiting: AtomicIsize,
    /// Events lost because no entry was available.
    dropped_no_state: AtomicU64,
    /// Asks the worker to run: refill the pool, place and retire entries.
    kick: fn(&Pool),
    /// The timing clock's units per counter tick (a [`Rate`]), set
    /// before its probes are registered.
    rate: AtomicU64,
    /// The breakdowns on (a set of `Breakdown::bit`s).
    breakdowns: AtomicU8,
    /// The names of the host IRQs INTERRUPT exits were keyed by.
    irq_names: IrqNames,
}

impl Pool {
    /// An empty pool whose `kick` queues the worker; `EBUSY` if another
    /// pool holds the right to link vCPUs.
    pub(crate) fn new(kick: fn(&Pool)) -> Result<impl PinInit<Pool>> {
        let links = VcpuLinks::claim().ok_or(EBUSY)?;
        let entries = KVec::with_capacity(POOL_MAX, GFP_KERNEL)?;
        Ok(pin_init!(Pool {
            free <- new_spinlock!(Free { entries, links }, "Pool::free"),
            len: AtomicUsize::new(0),
            awaiting: AtomicIsize::new(0),
            dropped_no_state: AtomicU64::new(0),
            kick,
            rate: AtomicU64::new(Rate::ONE.bits()),
            breakdowns: AtomicU8::new(0),
            irq_names <- kernel::init::zeroed(),
        }))
    }

    // ---- Probe context.

    /// The vCPU's entry, attaching one from the pool if it has none yet.
    #[inline(always)]
    pub(crate) fn entry_or_attach<'a>(&self, vcpu: &'a RunningVcpu) -> Option<&'a VcpuEntry> {
        match VcpuEntry::of(vcpu) {
            Some(e) => Some(e),
            None => self.attach(vcpu),
        }
    }

    /// Gives `vcpu` an entry from the pool.
    #[cold]
    fn attach<'a>(&self, vcpu: &'a RunningVcpu) -> Option<&'a VcpuEntry> {
        let now = clock::now();
        let taken = if self.len.load(Ordering::Relaxed) == 0 {
            None
        } else {
            let mut free = self.free.lock();
            let taken = free.entries.pop().map(|e| {
                // SAFETY: entries in the pool belong to the registry, which
                // frees them only after taking them out of the pool; once
                // linked to the vCPU, it keeps them until the vCPU is
                // destroyed or unlinked.
                let e: &'a VcpuEntry = unsafe { &*e };
                e.attach(vcpu, now, &mut free.links);
                e
            });
            self.len.store(free.entries.len(), Ordering::Relaxed);
            taken
        };
        (self.kick)(self);
        if taken.is_some() {
            self.one_less_awaited();
        } else {
            self.dropped_no_state.fetch_add(1, Ordering::Relaxed);
        }
        taken
    }

    /// vCPUs that existed before the module count as not awaited: never
    /// below zero.
    fn one_less_awaited(&self) {
        let _ = self
            .awaiting
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |a| {
                (a > 0).then_some(a - 1)
            });
    }

    /// A vCPU was created: make sure an entry awaits it.
    pub(crate) fn vcpu_created(&self) {
        self.awaiting.fetch_add(1, Ordering::Relaxed);
        (self.kick)(self);
    }

    /// `vcpu` is being destroyed.
    pub(crate) fn vcpu_destroyed(&self, vcpu: &Vcpu) {
        let mut free = self.free.lock();
        let on = self.breakdowns();
        let unlinked = VcpuEntry::unlink_destroyed(vcpu, on, &mut free.links).is_some();
        drop(free);
        if unlinked {
            self.kick_worker();
        } else {
            // Never attached: no longer awaited.
            self.one_less_awaited();
        }
    }

    // ---- The worker and control.

    pub(crate) fn kick_worker(&self) {
        (self.kick)(self)
    }

    /// How many entries the pool should hold: a few, plus one per vCPU that
    /// was created and has not run yet.
    pub(crate) fn target(&self) -> usize {
        let awaiting = self.awaiting.load(Ordering::Relaxed).max(0) as usize;
        (POOL_BASE + awaiting).min(POOL_MAX)
    }

    pub(crate) fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// The timing clock's rate against the counter.
    #[inline(always)]
    pub(crate) fn rate(&self) -> Rate {
        Rate::from_bits(self.rate.load(Ordering::Relaxed))
    }

    /// Sets it, while no probe of the timing clock is registered.
    pub(crate) fn set_rate(&self, rate: Rate) {
        self.rate.store(rate.bits(), Ordering::Relaxed);
    }

    /// The breakdowns on: a set of `Breakdown::bit`s.
    #[inline(always)]
    pub(crate) fn breakdowns(&self) -> u8 {
        self.breakdowns.load(Ordering::Relaxed)
    }

    /// The names of the host IRQs seen after INTERRUPT exits.
    pub(crate) fn irq_names(&self) -> &IrqNames {
        &self.irq_names
    }

    pub(crate) fn set_breakdowns(&self, on: u8) {
        self.breakdowns.store(on, Ordering::Relaxed);
    }

    pub(crate) fn dropped_no_state(&self) -> u64 {
        self.dropped_no_state.load(Ordering::Relaxed)
    }

    /// Adds a ready entry, which the registry keeps until it is taken out
    /// again with [`Self::take`] or attached. Never allocates.
    pub(crate) fn push(&self, e: &VcpuEntry) {
        let mut free = self.free.lock();
        if free.entries.len() < POOL_MAX {
            let _ = free.entries.push(e, GFP_ATOMIC);
        }
        self.len.store(free.entries.len(), Ordering::Relaxed);
    }

    /// Takes a ready entry back out (to free it).
    pub(crate) fn take(&self) -> Option<*const VcpuEntry> {
        let mut free = self.free.lock();
        let e = free.entries.pop();
        self.len.store(free.entries.len(), Ordering::Relaxed);
        e
    }

    /// Makes this pool the one [`with_links`] uses. It must stay where it
    /// is until [`Self::withdraw`].
    pub(crate) fn publish(&self) {
        PUBLISHED.store((self as *const Pool).cast_mut(), Ordering::Release);
    }

    /// Undoes [`Self::publish`], once no file that may call [`with_links`]
    /// remains.
    pub(crate) fn withdraw(&self) {
        let me = (self as *const Pool).cast_mut();
        let _ = PUBLISHED.compare_exchange(
            me,
            core::ptr::null_mut(),
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// Runs `f` with the right to link and unlink vCPUs, which keeps the
    /// vCPU destruction probe out meanwhile.
    pub(crate) fn with_links<R>(&self, f: impl FnOnce(&mut VcpuLinks) -> R) -> R {
        f(&mut self.free.lock().links)
    }
}
