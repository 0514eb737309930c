// SPDX-License-Identifier: GPL-2.0

//! Attaching probes to tracepoints, which the 6.12 `kernel` crate cannot.

use core::ffi::c_void;
use kernel::{bindings, error::to_result, prelude::*};

/// A probe function for one tracepoint.
pub(crate) struct Probe {
    tracepoint: *mut bindings::tracepoint,
    function: *mut c_void,
}

// SAFETY: a `Probe` is two addresses handed to the tracepoint API, which
// may be called from any thread.
unsafe impl Sync for Probe {}
// SAFETY: as for `Sync`.
unsafe impl Send for Probe {}

impl Probe {
    /// # Safety
    /// `function` is an `extern "C"` function whose parameters are
    /// `void *data` followed by the tracepoint's `TP_PROTO`.
    pub(crate) const unsafe fn new(
        tracepoint: *mut bindings::tracepoint,
        function: *mut c_void,
    ) -> Probe {
        Probe {
            tracepoint,
            function,
        }
    }

    /// Starts calling the probe with `data` when the tracepoint fires.
    ///
    /// # Safety
    /// `data` stays valid for the probe until [`Probe::unregister`] and then
    /// [`synchronize`] have returned.
    pub(crate) unsafe fn register(&self, data: *const c_void) -> Result {
        // SAFETY: a tracepoint of the kernel and a probe of its prototype
        // (the constructor's contract).
        to_result(unsafe {
            bindings::tracepoint_probe_register(self.tracepoint, self.function, data.cast_mut())
        })
    }

    /// Stops calling the probe; calls already running may go on until
    /// [`synchronize`] returns. The probe must be registered with `data`:
    /// for one that is not, the kernel warns (and returns -ENOENT).
    pub(crate) fn unregister(&self, data: *const c_void) {
        // SAFETY: the tracepoint API accepts any probe and data here; an
        // unknown pair is refused, not dereferenced.
        unsafe {
            bindings::tracepoint_probe_unregister(self.tracepoint, self.function, data.cast_mut())
        };
    }
}

/// Waits until every probe call that started before returns.
pub(crate) fn synchronize() {
    // SAFETY: may sleep; callers are in process context.
    unsafe { bindings::tracepoint_synchronize_unregister() }
}

/// Builds a [`Probe`]: `probe!(__tracepoint_<name>, function)`.
macro_rules! probe {
    ($tracepoint:ident, $function:expr) => {
        // SAFETY: the caller of the macro passes a function with the
        // tracepoint's prototype; the tracepoint is a kernel static.
        unsafe {
            $crate::tracepoint::Probe::new(
                &raw mut kernel::bindings::$tracepoint,
                ($function as *const ())
                    .cast_mut()
                    .cast::<core::ffi::c_void>(),
            )
        }
    };
}
pub(crate) use probe;
