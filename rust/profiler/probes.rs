// SPDX-License-Identifier: GPL-2.0

//! The probes: what each tracepoint event does, and the per-exit path.
//!
//! Every probe's data is the pool. Each finds its vCPU's entry through
//! `vcpu->arch.exit_timing` (one load) and hands the event to the vCPU's
//! recorder. Probes run with preemption disabled, in the vCPU's own
//! thread, which makes them the recorder's one writer; the destruction
//! probe runs after that thread is done with the vCPU.
//!
//! The probes that read a clock are generic over it: one set per clock,
//! registered while that clock is chosen, so that the choice costs nothing
//! per event. The generic counter is also the wall clock: with it, one
//! read serves both. The same goes for breakdowns: the probes built for
//! `Keyed<C>` key exits for them, the others have none of that code.

use super::pool::Pool;
use super::tree::Tree;
use crate::entries::VcpuEntry;
use crate::pure::breakdown::{self, Breakdown, MmioDevice, Tables, IPI_BIT};
use crate::pure::classify::seen;
use crate::pure::host_irq::{IPI_HANDLER_NAME, NO_IRQ};
use crate::pure::ipi::sender_slot;
use crate::pure::recorder::Wall;
use crate::sys::clock::{self, TimingClock};
use crate::sys::irq_tracepoints::{Found, InIrq, IpiEntry, IrqAction, IrqHandlerEntry};
use crate::sys::kvm::{RunningVcpu, Vcpu};
use crate::sys::kvm_exit_hook::GuestExit;
use crate::sys::kvm_tracepoints::{self as tp, *};
use crate::sys::tracepoint::Probe;
use kernel::{prelude::*, str::CStr};

impl Pool {
    /// The wall clock now, for a per-CPU clock's rare paths.
    fn wall(&self) -> Wall {
        Wall {
            now: clock::now(),
            rate: self.rate(),
        }
    }

    /// The entry's tables of the breakdowns on, if the probes for `C` key
    /// exits (none otherwise, at no cost).
    #[inline(always)]
    fn tables<'a, C: TimingClock>(&self, e: &'a VcpuEntry) -> Tables<'a> {
        if C::KEYED {
            e.tables(self.breakdowns())
        } else {
            Tables::NONE
        }
    }

    /// The receiver's run entered at `entry` just ended: the SGIs posted
    /// to it that its list registers held are delivered. IPI latency is
    /// measured on the generic counter only (`entry` is on it then).
    #[inline(always)]
    fn deliver_ipis(&self, e: &VcpuEntry, vcpu: &RunningVcpu, entry: u64) {
        if self.breakdowns() & IPI_BIT == 0 {
            return;
        }
        if let Some(t) = e.ipi().filter(|t| t.inbox.any()) {
            e.recorder
                .on_ipis_delivered(t, entry, |intid, s| vcpu.lrs_hold_sgi(intid, s));
        }
    }
}

impl<C: TimingClock> GuestExit<C> for Pool {
    #[inline(always)]
    fn guest_exit(&self, vcpu: &RunningVcpu, exit_code: i32, entry: u64) {
        let now = C::now();
        if let Some(e) = self.entry_or_attach(vcpu) {
            let esr = vcpu.esr();
            let tables = self.tables::<C>(e);
            let key = |class| breakdown::key_of(class, esr, || vcpu.x0(), || vcpu.fault_ipa());
            if C::KEYED && !C::PER_CPU {
                self.deliver_ipis(e, vcpu, entry);
            }
            if C::PER_CPU {
                e.recorder.on_exit_per_cpu_keyed(
                    entry,
                    now,
                    exit_code as u32,
                    esr,
                    key,
                    tables,
                    || self.wall(),
                );
            } else {
                e.recorder
                    .on_exit_keyed(entry, now, exit_code as u32, esr, key, tables);
            }
        }
    }
}

impl<C: TimingClock> SchedIn<C> for Pool {
    fn sched_in(&self, vcpu: &RunningVcpu) {
        // A vCPU without an entry was not timed when it was switched out:
        // nothing to settle (it attaches at its next entry or exit).
        if let Some(e) = VcpuEntry::of(vcpu) {
            if C::PER_CPU {
                e.recorder.on_load_per_cpu(C::now(), self.wall());
            } else {
                e.recorder.on_load(C::now());
            }
        }
    }
}

impl<C: TimingClock> SchedOut<C> for Pool {
    fn sched_out(&self, vcpu: &RunningVcpu) {
        // Runs under the runqueue lock: no attaching (it could wake the
        // worker) and nothing but a few stores.
        if let Some(e) = VcpuEntry::of(vcpu) {
            let preempted = vcpu.preempted();
            if C::PER_CPU {
                // A switch with an exit pending, or a preemption: the
                // thread may come back on another CPU.
                e.recorder
                    .on_put_per_cpu(preempted, || (C::now(), clock::now()));
            } else if preempted {
                e.recorder.on_put(C::now(), true);
            }
        }
    }
}

impl<C: TimingClock> RunReturn<C> for Pool {
    fn run_return(&self, vcpu: &RunningVcpu, ret: i32) {
        if let Some(e) = VcpuEntry::of(vcpu) {
            let tables = self.tables::<C>(e);
            if C::PER_CPU {
                e.recorder
                    .on_run_return_per_cpu_keyed(C::now(), self.wall(), ret, tables);
            } else {
                e.recorder.on_run_return_keyed(C::now(), ret, tables);
            }
        }
    }
}

impl<C: TimingClock> Mmio<C> for Pool {
    fn mmio(&self, vcpu: &RunningVcpu, user: bool) {
        if let Some(e) = VcpuEntry::of(vcpu) {
            e.recorder.on_seen(if user {
                seen::MMIO_USER
            } else {
                seen::MMIO_KERNEL
            });
            if C::KEYED && self.breakdowns() & Breakdown::Mmio.bit() != 0 {
                let device = if user {
                    MmioDevice::Vmm
                } else {
                    vcpu.mmio_device(vcpu.fault_ipa())
                };
                e.recorder.on_key_bits(device.key_bits());
            }
        }
    }
}

impl MemAbort for Pool {
    fn mem_abort(&self, vcpu: &RunningVcpu) {
        if let Some(e) = VcpuEntry::of(vcpu) {
            e.recorder.on_seen(seen::MEM_ABORT);
        }
    }
}

impl<C: TimingClock> Sgi<C> for Pool {
    fn sgi(&self, vcpu: &Vcpu, target: &Vcpu, intid: u32) {
        // A GICD_SGIR write can also come from user space (device
        // attributes): only the sender's own thread may touch its recorder.
        let Some(e) = vcpu.as_running().and_then(|v| VcpuEntry::of(v)) else {
            return;
        };
        e.recorder.on_seen(seen::SGI);
        if C::KEYED && !C::PER_CPU && self.breakdowns() & IPI_BIT != 0 {
            self.post_ipi::<C>(e, vcpu, target, intid);
        }
    }
}

impl Pool {
    /// Posts the SGI `intid` that `vcpu` (entry `e`) is sending to
    /// `target`, before KVM makes it pending.
    #[cold]
    fn post_ipi<C: TimingClock>(&self, e: &VcpuEntry, vcpu: &Vcpu, target: &Vcpu, intid: u32) {
        let (Some(sent), Some(t)) = (
            e.recorder.pending_exit_start(),
            VcpuEntry::of(target).and_then(VcpuEntry::ipi),
        ) else {
            return;
        };
        t.inbox.post(
            sender_slot(vcpu.id()),
            sent,
            C::now(),
            intid,
            target.ipi_kind(),
        );
    }
}

impl IrqHandlerEntry for Pool {
    fn irq_handler_entry(&self, cx: &InIrq, irq: u32, action: &IrqAction) {
        // Most interrupts on most CPUs interrupt no vCPU's thread.
        let Some(e) = cx.running_vcpu().and_then(|v| VcpuEntry::of(v)) else {
            return;
        };
        if e.recorder.on_host_irq(irq) && !self.irq_names().knows(irq) {
            self.name_irq(irq, action);
        }
    }
}

impl IpiEntry for Pool {
    fn ipi_entry(&self, cx: &InIrq, reason: &'static CStr) {
        // The IPI whose handler keyed the pending INTERRUPT just now, if it
        // has no name yet: it gets the kind this tells.
        let Some(e) = cx.running_vcpu().and_then(|v| VcpuEntry::of(v)) else {
            return;
        };
        if let Some(irq) = e.recorder.pending_interrupt().filter(|&k| k != NO_IRQ) {
            if !self.irq_names().knows(irq) {
                self.irq_names().name_ipi(irq, reason.as_bytes());
            }
        }
    }
}

impl Pool {
    /// Names `irq`, the first time an INTERRUPT exit is keyed by it, after
    /// its handler; IPIs are named by the `ipi_entry` that follows.
    #[cold]
    fn name_irq(&self, irq: u32, action: &IrqAction) {
        let name = action.name();
        if name != IPI_HANDLER_NAME {
            self.irq_names().name_device(irq, name);
        }
    }
}

impl VcpuCreate for Pool {
    fn vcpu_create(&self, _vcpu: &Vcpu) {
        self.vcpu_created();
    }
}

impl VcpuDestroy for Pool {
    fn vcpu_destroy(&self, vcpu: &Vcpu) {
        self.vcpu_destroyed(vcpu);
    }
}

/// How many timing probes there are.
pub(crate) const TIMING: usize = 6;

/// The probes of the timing itself on clock `C`, registered while timing
/// is enabled, before the guest-exit hook: timing starts with the first
/// exit seen once they are all in place.
pub(crate) fn timing<C: TimingClock>(tree: &Tree) -> [Probe<'_>; TIMING] {
    let pool = tree.pool();
    [
        tp::mmio::<C, _>(pool),
        tp::mem_abort::<(), _>(pool),
        tp::sgi::<C, _>(pool),
        tp::sched_in::<C, _>(pool),
        tp::sched_out::<C, _>(pool),
        tp::run_return::<C, _>(pool),
    ]
}

/// The tracepoints of the host's interrupt handlers.
#[derive(Clone, Copy)]
pub(crate) struct HostIrqTracepoints {
    handler: Found<dyn IrqHandlerEntry>,
    ipi: Found<dyn IpiEntry>,
}

impl HostIrqTracepoints {
    /// Finds them in the kernel (`ENOENT` if it lacks one).
    pub(crate) fn find() -> Result<Self> {
        Ok(HostIrqTracepoints {
            handler: Found::irq_handler_entry()?,
            ipi: Found::ipi_entry()?,
        })
    }
}

/// The probes keying INTERRUPT exits by host IRQ, registered while timing
/// is enabled with the `interrupts` breakdown on: they run on every host
/// interrupt.
pub(crate) fn host_irqs(tree: &Tree, tps: HostIrqTracepoints) -> [Probe<'_>; 2] {
    let pool = tree.pool();
    [tps.handler.probe(pool), tps.ipi.probe(pool)]
}

/// The guest-exit hook's data.
pub(crate) fn exit_hook(tree: &Tree) -> &Pool {
    tree.pool()
}

/// vCPU creation: registered while the module is loaded.
pub(crate) fn create(tree: &Tree) -> [Probe<'_>; 1] {
    [tp::vcpu_create::<(), _>(tree.pool())]
}

/// vCPU destruction: registered while the module is loaded, and the last
/// probe to go.
pub(crate) fn destroy(tree: &Tree) -> [Probe<'_>; 1] {
    [tp::vcpu_destroy::<(), _>(tree.pool())]
}
