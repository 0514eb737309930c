// SPDX-License-Identifier: GPL-2.0

//! The module's parameters: `clock=counter|cycles`, the clock timing
//! starts with (`control` can change it later).

use crate::pure::command::{parse_clock, ClockKind};
use crate::sys::module_param::{module_param, ParamValue};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;

/// Whether `clock=cycles` was given.
static CYCLES: AtomicBool = AtomicBool::new(false);

/// The `clock` parameter.
struct ClockParam;

impl ParamValue for ClockParam {
    fn set(value: &[u8]) -> Result {
        let kind = parse_clock(value).ok_or(EINVAL)?;
        CYCLES.store(kind == ClockKind::Cycles, Ordering::Relaxed);
        Ok(())
    }

    fn show(out: &mut [u8]) -> usize {
        let name = load_clock().name().as_bytes();
        let n = name.len().min(out.len().saturating_sub(1));
        out[..n].copy_from_slice(&name[..n]);
        out[n] = b'\n';
        n + 1
    }
}

module_param!(c"clock", ClockParam);

/// The clock given at load time.
pub(crate) fn load_clock() -> ClockKind {
    if CYCLES.load(Ordering::Relaxed) {
        ClockKind::Cycles
    } else {
        ClockKind::Counter
    }
}

/// The parameter's description for `modinfo`, in `.modinfo` as the C
/// macros put it (NUL-separated strings).
#[cfg(MODULE)]
#[used]
#[link_section = ".modinfo"]
static MODINFO: [u8; MODINFO_TEXT.len()] = {
    let mut out = [0u8; MODINFO_TEXT.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = MODINFO_TEXT[i];
        i += 1;
    }
    out
};

#[cfg(MODULE)]
const MODINFO_TEXT: &[u8] = b"parmtype=clock:charp\0\
parm=clock:clock exits are timed with: counter (the generic counter, default) or cycles (the PMU cycle counter)\0";
