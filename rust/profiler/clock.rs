// SPDX-License-Identifier: GPL-2.0

//! Which clock the profiler times with, as the files' headers describe
//! it. Files of every level read it, without a path to the profiler:
//! hence a few statics, written only under `Profiler::control`.

use crate::pure::command::ClockKind;
use crate::pure::table::Clock;
use crate::sys::clock;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static CYCLES: AtomicBool = AtomicBool::new(false);
/// The cycle clock's frequency.
static CYCLES_HZ: AtomicU64 = AtomicU64::new(0);
/// Whether that frequency is cpufreq's (else it was calibrated).
static FROM_CPUFREQ: AtomicBool = AtomicBool::new(false);

/// Where the cycle clock's frequency comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Cpufreq,
    Calibrated,
}

/// Notes the clock in use; `hz` and `source` describe the cycle clock.
pub(crate) fn set(kind: ClockKind, hz: u64, source: Source) {
    CYCLES_HZ.store(hz, Ordering::Relaxed);
    FROM_CPUFREQ.store(source == Source::Cpufreq, Ordering::Relaxed);
    CYCLES.store(kind == ClockKind::Cycles, Ordering::Release);
}

/// The clock in use, for a file's header. A file read while the clock
/// changes may show the new clock's header over rows that the change's
/// reset empties.
pub(crate) fn in_use() -> Clock {
    let counter_hz = clock::frequency();
    if !CYCLES.load(Ordering::Acquire) {
        return Clock {
            name: clock::NAME,
            unit: "ticks",
            hz: counter_hz,
            source: "CNTFRQ_EL0",
            counter_hz,
        };
    }
    Clock {
        name: "arm64 PMU cycle counter (PMCCNTR_EL0)",
        unit: "cycles",
        hz: CYCLES_HZ.load(Ordering::Relaxed),
        source: if FROM_CPUFREQ.load(Ordering::Relaxed) {
            "cpufreq's maximum for CPU 0"
        } else {
            "calibrated against the generic counter"
        },
        counter_hz,
    }
}
