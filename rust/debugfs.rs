// SPDX-License-Identifier: GPL-2.0

//! Thin, owning wrappers over the kernel's debugfs C API.
//!
//! The 6.12 `kernel` crate has no debugfs support; this file is the only
//! place that calls it.

use core::ptr::{self, NonNull};
use kernel::{bindings, error::from_err_ptr, prelude::*, str::CStr};

/// A debugfs directory, removed with everything below it when dropped.
pub(crate) struct Dir(NonNull<bindings::dentry>);

impl Dir {
    /// Creates the directory `name` at the root of debugfs.
    pub(crate) fn new_root(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid NUL-terminated string for the duration
        // of the call (debugfs copies it); a null parent means the debugfs
        // root.
        let dentry = from_err_ptr(unsafe {
            bindings::debugfs_create_dir(name.as_char_ptr(), ptr::null_mut())
        })?;
        NonNull::new(dentry).map(Dir).ok_or(ENOMEM)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: the dentry came from a successful `debugfs_create_dir` and
        // is removed exactly once, here.
        unsafe { bindings::debugfs_remove(self.0.as_ptr()) };
    }
}

// SAFETY: the dentry pointer is only handed back to debugfs, whose calls may
// be made from any thread; `Dir` gives no access to the dentry itself.
unsafe impl Send for Dir {}
// SAFETY: `Dir` has no `&self` methods that touch the dentry.
unsafe impl Sync for Dir {}
