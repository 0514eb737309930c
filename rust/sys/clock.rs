// SPDX-License-Identifier: GPL-2.0

//! The clock exits are timed with: the arm64 architected counter, read the
//! way the kernel reads it.
//!
//! `arch_timer_read_counter()` applies the kernel's counter errata
//! workarounds (Freescale A-008585 on the LS2080 among them) and, on a
//! kernel booted at EL2 (every KVM host), reads CNTPCT_EL0. CNTVCT_EL0
//! would be wrong on nVHE hosts: while a vCPU is loaded, the host's
//! virtual counter carries that guest's CNTVOFF_EL2.
//!
//! Without CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND there is no workaround to
//! apply, and the function pointer only leads to `isb; mrs cntpct_el0`:
//! the probes then read the counter inline, which saves the indirect call
//! on every event.

#[cfg(CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND)]
use kernel::bindings;

/// How the tables name the clock.
pub(crate) const NAME: &str = "arm64 generic counter (arch_timer_read_counter)";

/// The counter, now.
#[cfg(not(CONFIG_ARM_ARCH_TIMER_OOL_WORKAROUND))]
#[inline(always)]
pub(crate) fn now() -> u64 {
    let v: u64;
    // SAFETY: reads the physical counter, which a kernel booted at EL2 may
    // always read; the ISB keeps the read from happening early, as
    // `arch_timer_read_counter()` does.
    unsafe {
        core::arch::asm!("isb", "mrs {v}, cntpct_el0", v = out(reg) v, options(nostack, preserves_flags));
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
