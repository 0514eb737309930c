// SPDX-License-Identifier: GPL-2.0

//! The PMU cycle counter (PMCCNTR_EL0) as a timing clock: owning it on
//! every CPU through perf, reading it, and measuring its rate against the
//! generic counter.
//!
//! Reading it through perf (`perf_event_read_local()`) costs about 100
//! instructions and several atomics; the probes read the register, which
//! is only sound while it is ours. So the module asks perf for a pinned
//! CPU-cycles event on every CPU and checks that the arm64 PMU driver gave
//! it the cycle counter itself (`armv8pmu_get_event_idx()` does when it
//! is free), not a general counter. The event asks for a 64-bit counter
//! (`config1` bit 0), so perf adds no bias and, when it reloads the
//! counter, restores its running count (it never jumps back), and it
//! excludes nothing, so that KVM's PMU
//! switching leaves it counting across the world switch: it counts host,
//! hypervisor (EL2) and guest alike. perf pauses all counters of a CPU for
//! short windows (its own context switches, event installs, overflow
//! interrupts): cycles there are not counted.
//!
//! The events follow CPUs through a dynamic CPU hotplug state. Its
//! callbacks carry no data, hence the statics; one owner at a time.

use super::clock::{self, TimingClock};
use core::ffi::{c_int, c_uint, c_void};
use core::ptr::null_mut;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use kernel::{bindings, c_str, error::from_err_ptr, prelude::*};

/// The cycle counter, as the probes read it.
pub(crate) struct Cycles;

impl TimingClock for Cycles {
    const PER_CPU: bool = true;
    const KVM: bindings::kvm_arm_exit_clock =
        bindings::kvm_arm_exit_clock_KVM_ARM_EXIT_CLOCK_CYCLES;

    #[inline(always)]
    fn now() -> u64 {
        let v: u64;
        // SAFETY: reads PMCCNTR_EL0, which the kernel may always read (EL1
        // or, on VHE, EL2). The ISB keeps the read from happening before
        // earlier instructions, as KVM's own stamp does. The probes use it
        // only while a `CycleCounters` owns the counter on every CPU.
        unsafe {
            core::arch::asm!(
                "isb",
                "mrs {v}, pmccntr_el0",
                v = out(reg) v,
                options(nostack, preserves_flags),
            );
        }
        v
    }
}

/// The cycle counter's index in the arm64 PMU driver
/// (`ARMV8_PMU_CYCLE_IDX`, include/linux/perf/arm_pmuv3.h, not in the
/// bindings).
const CYCLE_IDX: c_int = 31;

/// `attr.config1` bit asking the arm64 PMU driver for a 64-bit counter.
const CONFIG1_LONG: u64 = 1;

const MAX_CPUS: usize = bindings::CONFIG_NR_CPUS as usize;

/// Each CPU's event, null where there is none.
static EVENTS: [AtomicPtr<bindings::perf_event>; MAX_CPUS] =
    [const { AtomicPtr::new(null_mut()) }; MAX_CPUS];
/// Each CPU is online as far as the hotplug state knows.
static ONLINE: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Each CPU's event had the cycle counter when last checked, on that CPU:
/// when the event was created, and at each [`CycleCounters::ownership`].
static OWNED: [AtomicBool; MAX_CPUS] = [const { AtomicBool::new(false) }; MAX_CPUS];
/// Each CPU's error from perf where it could not create the event, else 0.
static CREATE_ERROR: [AtomicI32; MAX_CPUS] = [const { AtomicI32::new(0) }; MAX_CPUS];
/// Whether the events are claimed (see [`CycleCounters::claim`]).
static CLAIMED: AtomicBool = AtomicBool::new(false);
/// Whether the claim succeeded: a CPU coming online later without the
/// counter then warns, since the probes read it there.
static IN_USE: AtomicBool = AtomicBool::new(false);

/// Creates `cpu`'s event. Runs on that CPU, in its hotplug thread. Never
/// fails, so as not to keep a CPU offline: a CPU without the counter shows
/// in [`CycleCounters::ownership`].
unsafe extern "C" fn cpu_online(cpu: c_uint) -> c_int {
    let Some(slot) = EVENTS.get(cpu as usize) else {
        return 0;
    };
    let mut attr = bindings::perf_event_attr {
        type_: bindings::perf_type_id_PERF_TYPE_HARDWARE,
        size: core::mem::size_of::<bindings::perf_event_attr>() as u32,
        config: u64::from(bindings::perf_hw_id_PERF_COUNT_HW_CPU_CYCLES),
        ..Default::default()
    };
    attr.set_pinned(1);
    attr.__bindgen_anon_3.config1 = CONFIG1_LONG;
    // SAFETY: `attr` is a valid attribute; a CPU event (no task) with no
    // overflow handler. Returns an event or an error pointer.
    let event = unsafe {
        bindings::perf_event_create_kernel_counter(
            &mut attr,
            cpu as c_int,
            null_mut(),
            None,
            null_mut(),
        )
    };
    let owned = match from_err_ptr(event) {
        Ok(event) => {
            CREATE_ERROR[cpu as usize].store(0, Ordering::Relaxed);
            slot.store(event, Ordering::Release);
            // SAFETY: just created, on this CPU, in its hotplug thread.
            unsafe { on_cycle_counter(event) }
        }
        // Shown as a CPU whose counter is not ours.
        Err(e) => {
            CREATE_ERROR[cpu as usize].store(e.to_errno(), Ordering::Relaxed);
            false
        }
    };
    OWNED[cpu as usize].store(owned, Ordering::Relaxed);
    ONLINE[cpu as usize].store(true, Ordering::Release);
    if !owned && IN_USE.load(Ordering::Relaxed) {
        pr_warn!(
            "CPU {} came online without the PMU cycle counter (the perf watchdog takes it \
             first): exits timed on it are wrong until `clock counter`\n",
            cpu
        );
    }
    0
}

/// Releases `cpu`'s event as the CPU goes offline, or as the state is
/// removed.
unsafe extern "C" fn cpu_offline(cpu: c_uint) -> c_int {
    let Some(slot) = EVENTS.get(cpu as usize) else {
        return 0;
    };
    ONLINE[cpu as usize].store(false, Ordering::Release);
    OWNED[cpu as usize].store(false, Ordering::Relaxed);
    let event = slot.swap(null_mut(), Ordering::AcqRel);
    if !event.is_null() {
        // SAFETY: created by `cpu_online` and taken out of the slot: no
        // one else releases it.
        unsafe { bindings::perf_event_release_kernel(event) };
    }
    0
}

/// Whether `event`, this CPU's, counts on the cycle counter now.
///
/// # Safety
///
/// Runs on the event's CPU, where `cpu_offline` alone releases it: in the
/// CPU's hotplug thread, or with interrupts off, which that thread (and
/// perf's own rescheduling) cannot interleave with.
unsafe fn on_cycle_counter(event: *mut bindings::perf_event) -> bool {
    // SAFETY: the event is alive (see the function's contract). Creating
    // a CPU event installs and schedules it synchronously: `state` and
    // `hw.idx` are set. Volatile: perf may update them from an interrupt.
    let (state, idx) = unsafe {
        (
            core::ptr::read_volatile(&raw const (*event).state),
            core::ptr::read_volatile(&raw const (*event).hw.__bindgen_anon_1.__bindgen_anon_1.idx),
        )
    };
    state == bindings::perf_event_state_PERF_EVENT_STATE_ACTIVE && idx == CYCLE_IDX
}

/// On how many CPUs the counter is ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ownership {
    pub(crate) owned: u32,
    pub(crate) online: u32,
    /// The first online CPU whose counter is not ours.
    pub(crate) first_missing: Option<u32>,
    /// The first online CPU where perf could not count cycles, and why.
    pub(crate) first_error: Option<(u32, Error)>,
}

/// Checks the event of CPU `*data` on that CPU, from an interrupt.
unsafe extern "C" fn recheck(data: *mut c_void) {
    // SAFETY: `ownership` passes a CPU number and waits for the call.
    let cpu = unsafe { *data.cast::<usize>() };
    let event = EVENTS[cpu].load(Ordering::Acquire);
    // SAFETY: on the event's CPU with interrupts off (an IPI).
    let owned = !event.is_null() && unsafe { on_cycle_counter(event) };
    OWNED[cpu].store(owned, Ordering::Relaxed);
}

/// The cycle counter of every CPU, held through perf while this lives.
pub(crate) struct CycleCounters {
    state: c_int,
}

impl CycleCounters {
    /// Takes the cycle counter on every online CPU, and on CPUs as they
    /// come online. `EBUSY`, with a message, if another user holds it on
    /// some CPU.
    pub(crate) fn claim() -> Result<CycleCounters> {
        if CLAIMED.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        // SAFETY: the callbacks fit any CPU and last as long as the
        // module; the name is a static string.
        let state = unsafe {
            bindings::__cpuhp_setup_state(
                bindings::cpuhp_state_CPUHP_AP_ONLINE_DYN,
                c_str!("kvm_exit_timing:cycles").as_char_ptr(),
                true,
                Some(cpu_online),
                Some(cpu_offline),
                false,
            )
        };
        if state < 0 {
            CLAIMED.store(false, Ordering::Release);
            return Err(Error::from_errno(state));
        }
        let counters = CycleCounters { state };
        let o = counters.ownership();
        if let Some((cpu, e)) = o.first_error {
            pr_err!(
                "perf cannot count CPU cycles on CPU {} (error {}): no PMU driver for it?\n",
                cpu,
                e.to_errno()
            );
            return Err(e);
        }
        if let Some(cpu) = o.first_missing {
            pr_err!(
                "the PMU cycle counter of CPU {} is not free ({} of {} CPUs): another pinned \
                 cycles event holds it, such as the perf hard-lockup watchdog \
                 (kernel.nmi_watchdog) or a pinned `perf record`/`perf stat -a`\n",
                cpu,
                o.owned,
                o.online
            );
            return Err(EBUSY);
        }
        IN_USE.store(true, Ordering::Relaxed);
        Ok(counters)
    }

    /// Where the counter is ours now, checked on each CPU: an older
    /// pinned cycles event enabled later takes it back.
    pub(crate) fn ownership(&self) -> Ownership {
        let mut o = Ownership {
            owned: 0,
            online: 0,
            first_missing: None,
            first_error: None,
        };
        for cpu in 0..MAX_CPUS {
            if !ONLINE[cpu].load(Ordering::Acquire) {
                continue;
            }
            let mut arg = cpu;
            // SAFETY: `recheck` runs on `cpu` with `arg`, which outlives
            // the call (it waits). A CPU gone offline meanwhile fails the
            // call and is skipped.
            let r = unsafe {
                bindings::smp_call_function_single(
                    cpu as c_int,
                    Some(recheck),
                    (&raw mut arg).cast(),
                    1,
                )
            };
            if r != 0 {
                continue;
            }
            o.online += 1;
            if OWNED[cpu].load(Ordering::Relaxed) {
                o.owned += 1;
                continue;
            }
            if o.first_missing.is_none() {
                o.first_missing = Some(cpu as u32);
            }
            let e = CREATE_ERROR[cpu].load(Ordering::Relaxed);
            if e != 0 && o.first_error.is_none() {
                o.first_error = Some((cpu as u32, Error::from_errno(e)));
            }
        }
        o
    }

    /// Cycles per generic-counter tick, measured on one CPU over about
    /// 10 ms with interrupts off: `(cycles, ticks)`.
    pub(crate) fn calibrate(&self) -> Result<(u64, u64)> {
        let mut m = Measure {
            ticks: clock::frequency() / 100,
            cycles: 0,
        };
        for cpu in 0..MAX_CPUS {
            if !ONLINE[cpu].load(Ordering::Acquire) {
                continue;
            }
            // SAFETY: `measure` runs on `cpu` with `m`, which outlives the
            // call (it waits).
            let r = unsafe {
                bindings::smp_call_function_single(
                    cpu as c_int,
                    Some(measure),
                    (&raw mut m).cast(),
                    1,
                )
            };
            if r == 0 {
                return Ok((m.cycles, m.ticks));
            }
        }
        Err(ENODEV)
    }
}

/// A calibration: how many ticks to wait for, then what was measured.
struct Measure {
    ticks: u64,
    cycles: u64,
}

/// A cycle-counter read between two counter reads: the counter at its
/// middle, the cycles, and the counter ticks between the two reads.
fn bracketed() -> (u64, u64, u64) {
    let before = clock::now();
    let cycles = Cycles::now();
    let after = clock::now();
    let width = after.wrapping_sub(before);
    (before.wrapping_add(width / 2), cycles, width)
}

/// The tightest of a few bracketed reads: a vCPU of the machine running
/// this one (QEMU's, say) may be stopped between two reads.
fn tight_read() -> (u64, u64) {
    let mut best = bracketed();
    for _ in 0..8 {
        let b = bracketed();
        if b.2 < best.2 {
            best = b;
        }
    }
    (best.0, best.1)
}

/// Busy-waits `ticks` of the counter, counting cycles.
unsafe extern "C" fn measure(data: *mut c_void) {
    // SAFETY: `calibrate` passes its `Measure` and waits for the call.
    let m = unsafe { &mut *data.cast::<Measure>() };
    let (t0, c0) = tight_read();
    while clock::now().wrapping_sub(t0) < m.ticks {
        core::hint::spin_loop();
    }
    let (t1, c1) = tight_read();
    m.cycles = c1.wrapping_sub(c0);
    m.ticks = t1.wrapping_sub(t0);
}

impl Drop for CycleCounters {
    fn drop(&mut self) {
        IN_USE.store(false, Ordering::Relaxed);
        // SAFETY: the state `claim` set up; removing it runs `cpu_offline`
        // on every online CPU, which releases the events.
        unsafe { bindings::__cpuhp_remove_state(self.state as bindings::cpuhp_state, true) };
        CLAIMED.store(false, Ordering::Release);
    }
}

/// cpufreq's highest frequency for CPU 0, where a cpufreq driver is
/// loaded.
pub(crate) fn cpufreq_max_hz() -> Option<u64> {
    // SAFETY: takes and drops a reference to CPU 0's policy, if it has
    // one; 0 without.
    let khz = unsafe { bindings::cpufreq_quick_get_max(0) };
    (khz != 0).then(|| u64::from(khz) * 1000)
}
