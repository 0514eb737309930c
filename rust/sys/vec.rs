// SPDX-License-Identifier: GPL-2.0

//! `pop` and `swap_remove` for the 6.12 kernel's `Vec`, which lacks them.

use kernel::alloc::{Allocator, Vec};

pub(crate) trait VecExt<T> {
    fn pop(&mut self) -> Option<T>;
    /// Removes element `i`, moving the last one into its place.
    /// Panics if `i` is out of bounds.
    fn swap_remove(&mut self, i: usize) -> T;
}

impl<T, A: Allocator> VecExt<T> for Vec<T, A> {
    fn pop(&mut self) -> Option<T> {
        let len = self.len();
        if len == 0 {
            return None;
        }
        // SAFETY: element `len - 1` is initialised; once the length is
        // cut, the vector no longer owns it, so reading it out moves it.
        unsafe {
            self.set_len(len - 1);
            Some(self.as_ptr().add(len - 1).read())
        }
    }

    fn swap_remove(&mut self, i: usize) -> T {
        let last = self.len() - 1;
        self.as_mut_slice().swap(i, last);
        match self.pop() {
            Some(v) => v,
            None => unreachable!(),
        }
    }
}
