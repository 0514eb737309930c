// SPDX-License-Identifier: GPL-2.0

//! What the module's allocations really take: sizes as the allocators
//! round them, for the control file's memory figures.

use kernel::{bindings, page::PAGE_SIZE};

/// Bytes a kmalloc of `size` takes (its slab size class, or whole pages).
pub(crate) fn kmalloc_bytes(size: usize) -> usize {
    // SAFETY: arithmetic over the slab's size classes, no preconditions.
    unsafe { bindings::kmalloc_size_roundup(size) }
}

/// Bytes a vmalloc of `size` takes: whole pages.
pub(crate) const fn vmalloc_bytes(size: usize) -> usize {
    size.next_multiple_of(PAGE_SIZE)
}
