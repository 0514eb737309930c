// SPDX-License-Identifier: GPL-2.0

//! The clock exits are timed with: the arm64 architected counter, read as
//! the kernel's `arch_timer_read_counter()` reads it on a KVM host.
//!
//! On a kernel that can run KVM (hyp mode available), the arch timer driver
//! makes `arch_timer_read_counter()` read the physical counter: CNTVCT_EL0
//! would be wrong on nVHE hosts, where the host's virtual counter carries a
//! loaded vCPU's CNTVOFF_EL2 (drivers/clocksource/arm_arch_timer.c,
//! `arch_counter_register()`).
//!
//! With CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND (counter errata such as
//! Freescale A-008585 on the LS2080) the probes call
//! `arch_timer_read_counter()` itself, which applies the workaround this
//! CPU needs: exactly the kernel's read.
//!
//! Without it, the function pointer only leads to
//! `__arch_counter_get_cntpct()`, and the probes do inline what it does,
//! saving an indirect call on every event: `isb; mrs CNTPCT_EL0`, patched
//! at module load (the kernel's alternatives, as for its own code) into
//! `nop; mrs CNTPCTSS_EL0` on CPUs with FEAT_ECV, whose self-synchronised
//! counter needs no ISB. One thing differs: the kernel then adds
//! `arch_counter_enforce_ordering()`, a fake address dependency that keeps
//! later loads from being satisfied before the counter is read. It exists
//! for readers that load memory that must be at least as new as the
//! counter value (the vDSO's and timekeeping's sequence counts). The
//! module has none: every value read is stored (a data dependency orders
//! the store after the read), and the one comparison against another
//! stamp (a file's interval since its reset) saturates at zero. Leaving it
//! out saves three instructions a read, six an exit round trip.

use kernel::bindings;

/// How the tables name the clock.
pub(crate) const NAME: &str = "arm64 generic counter (arch_timer_read_counter)";

/// A clock exits can be timed with. Probes are built once per clock, so
/// that the choice costs nothing per event.
pub(crate) trait TimingClock: 'static {
    /// Its values are comparable only on the CPU that read them.
    const PER_CPU: bool;
    /// The clock KVM stamps guest entries with for it.
    const KVM: bindings::kvm_arm_exit_clock;
    /// The probes built for it also key exits for the breakdowns (see
    /// [`Keyed`]).
    const KEYED: bool = false;
    /// The clock, now, on this CPU.
    fn now() -> u64;
}

/// Clock `C` with breakdowns on: the probes are generic over the clock,
/// and building them for `Keyed<C>` adds the keying of exits, so that with
/// every breakdown off the probes have none of it.
pub(crate) struct Keyed<C>(core::marker::PhantomData<C>);

impl<C: TimingClock> TimingClock for Keyed<C> {
    const PER_CPU: bool = C::PER_CPU;
    const KVM: bindings::kvm_arm_exit_clock = C::KVM;
    const KEYED: bool = true;

    #[inline(always)]
    fn now() -> u64 {
        C::now()
    }
}

/// The generic counter, as [`now`] reads it: the clock of wall-clock time
/// too (intervals since reset, rates per second, time off a CPU).
pub(crate) struct Counter;

impl TimingClock for Counter {
    const PER_CPU: bool = false;
    const KVM: bindings::kvm_arm_exit_clock =
        bindings::kvm_arm_exit_clock_KVM_ARM_EXIT_CLOCK_COUNTER;

    #[inline(always)]
    fn now() -> u64 {
        now()
    }
}

/// The counter, now.
#[cfg(not(CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND))]
#[inline(always)]
pub(crate) fn now() -> u64 {
    let v: u64;
    // SAFETY: reads the physical counter, which a kernel that can run KVM
    // may always read (`arch_timer_read_counter()` reads it too). The ISB
    // keeps the read from happening before earlier instructions; CNTPCTSS
    // (S3_3_C14_C0_5) is its self-synchronised form. The alternative is an
    // `alt_instr` entry (arch/arm64/include/asm/alternative.h) that the
    // module loader applies, as `ALTERNATIVE()` emits it in C: the
    // replacement goes to subsection 1 of the same section, and the `.org`
    // lines fail the build unless both sides have the same length.
    unsafe {
        core::arch::asm!(
            "661:",
            "isb",
            "mrs {v}, cntpct_el0",
            "662:",
            ".pushsection .altinstructions, \"a\"",
            ".word 661b - .",
            ".word 663f - .",
            ".hword {ecv}",
            ".byte 662b - 661b",
            ".byte 664f - 663f",
            ".popsection",
            ".subsection 1",
            "663:",
            "nop",
            "mrs {v}, S3_3_C14_C0_5",
            "664:",
            ".org . - (664b - 663b) + (662b - 661b)",
            ".org . - (662b - 661b) + (664b - 663b)",
            ".previous",
            v = out(reg) v,
            ecv = const kernel::bindings::ARM64_HAS_ECV,
            options(nostack, preserves_flags),
        );
    }
    v
}

/// The counter, now.
#[cfg(CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND)]
#[inline(always)]
pub(crate) fn now() -> u64 {
    // SAFETY: `arch_timer_read_counter` is a function pointer set during
    // boot and read-only after init; copying it is a plain load.
    match unsafe { bindings::arch_timer_read_counter } {
        // SAFETY: the accessor takes no arguments, does not sleep and may
        // be called in any context.
        Some(read) => unsafe { read() },
        None => 0,
    }
}

/// Counter ticks per second (CNTFRQ_EL0).
pub(crate) fn frequency() -> u64 {
    // SAFETY: reads a system register, no preconditions.
    u64::from(unsafe { kernel::bindings::arch_timer_get_cntfrq() })
}
