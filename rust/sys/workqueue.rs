// SPDX-License-Identifier: GPL-2.0

//! What the 6.12 `kernel::workqueue` lacks: waiting for a work item.

use kernel::{bindings, workqueue::Work};

/// Waits until `work`, if queued or running, has finished.
pub(crate) fn flush<T: ?Sized, const ID: u64>(work: &Work<T, ID>) {
    // SAFETY: `work` is an initialised work item; flush_work() may sleep,
    // and callers are in process context.
    unsafe { bindings::flush_work(Work::raw_get(work)) };
}
