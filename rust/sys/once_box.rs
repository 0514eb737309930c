// SPDX-License-Identifier: GPL-2.0

//! A value allocated once, some time after its owner, and freed with it:
//! readers in any context see nothing until it is set, then the value,
//! which never changes place while the owner lives.

use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::{init::Zeroable, prelude::*};

/// An optional `VBox<T>` set at most once. All-zero memory is unset.
pub(crate) struct OnceBox<T>(AtomicPtr<T>);

// SAFETY: a null pointer, the unset state.
unsafe impl<T> Zeroable for OnceBox<T> {}

impl<T> OnceBox<T> {
    /// The value, once set.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&T> {
        // SAFETY: a non-null pointer came from `VBox::into_raw` in `set`
        // and is freed only by `drop`, which `&self` rules out meanwhile.
        unsafe { self.0.load(Ordering::Acquire).as_ref() }
    }

    /// Sets the value unless it is set (then `value` is dropped).
    pub(crate) fn set(&self, value: VBox<T>) {
        let p = VBox::into_raw(value);
        if self
            .0
            .compare_exchange(
                core::ptr::null_mut(),
                p,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            // SAFETY: `p` came from `into_raw` just above and was not
            // published.
            drop(unsafe { VBox::from_raw(p) });
        }
    }

    pub(crate) fn is_set(&self) -> bool {
        !self.0.load(Ordering::Relaxed).is_null()
    }
}

impl<T> Drop for OnceBox<T> {
    fn drop(&mut self) {
        let p = *self.0.get_mut();
        if !p.is_null() {
            // SAFETY: set by `set` from `VBox::into_raw`, and nothing else
            // can reach it any more.
            drop(unsafe { VBox::from_raw(p) });
        }
    }
}

// SAFETY: it owns a `T` as a `VBox<T>` does.
unsafe impl<T: Send> Send for OnceBox<T> {}
// SAFETY: `&OnceBox<T>` hands out `&T` only, and `set` may move a `T`
// in from another thread.
unsafe impl<T: Send + Sync> Sync for OnceBox<T> {}
