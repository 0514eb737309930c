// SPDX-License-Identifier: GPL-2.0

//! debugfs directories and files, which the 6.12 `kernel` crate lacks.
//!
//! - A [`Dir`] is shared: a child (subdirectory or file) holds its parent,
//!   so a directory is removed only once its last handle and its last
//!   child are gone. No child can outlive its directory.
//! - [`Files`] are a few files in one directory showing one datum, which
//!   they own through an [`Owner`] (a box or an `Arc`): the files are
//!   removed before the datum is dropped. What each file does is its
//!   [`FileOps`], a `const` per view type (`file_ops.rs`).
//!
//! Files are created with `debugfs_create_file()`, whose proxy makes
//! `debugfs_remove()` wait for operations in flight and fail later ones:
//! once a file is removed, nothing reads its datum any more.

mod file_ops;

pub(crate) use file_ops::{FileOps, ReadOnly, ReadWrite, SeqFile, Show, Store, WriteOnly};

use crate::pure::text_buf::TextBuf;
use core::pin::Pin;
use core::ptr::{self, NonNull};
use kernel::{
    alloc::{Allocator, Box},
    bindings,
    error::from_err_ptr,
    prelude::*,
    str::CStr,
    sync::Arc,
};

/// A dentry this module created, removed (with what is left below it)
/// when dropped, after which its parent may go.
struct Entry {
    dentry: NonNull<bindings::dentry>,
    _parent: Option<Arc<Entry>>,
}

// SAFETY: the dentry pointer is only handed back to debugfs, whose calls
// may be made from any thread.
unsafe impl Send for Entry {}
// SAFETY: `&Entry` only allows creating children, which debugfs serialises.
unsafe impl Sync for Entry {}

impl Drop for Entry {
    fn drop(&mut self) {
        // SAFETY: the dentry came from a successful debugfs_create_*() and
        // is removed exactly once, here; its parent still exists, as
        // `_parent` is dropped after this. Sleeps until file operations in
        // flight below it have finished.
        unsafe { bindings::debugfs_remove(self.dentry.as_ptr()) };
    }
}

/// A debugfs directory; clones are handles to the same one.
#[derive(Clone)]
pub(crate) struct Dir(Arc<Entry>);

impl Dir {
    /// Creates the directory `name` at the root of debugfs.
    pub(crate) fn root(name: &CStr) -> Result<Dir> {
        Self::create(name, None)
    }

    /// Creates the directory `name` in this one.
    pub(crate) fn subdir(&self, name: &CStr) -> Result<Dir> {
        Self::create(name, Some(self.0.clone()))
    }

    fn create(name: &CStr, parent: Option<Arc<Entry>>) -> Result<Dir> {
        let parent_dentry = parent
            .as_ref()
            .map_or(ptr::null_mut(), |p| p.dentry.as_ptr());
        // SAFETY: `name` is NUL-terminated for the call (debugfs copies
        // it); the parent is null (the debugfs root) or a live directory.
        let dentry = from_err_ptr(unsafe {
            bindings::debugfs_create_dir(name.as_char_ptr(), parent_dentry)
        })?;
        let entry = Entry {
            dentry: NonNull::new(dentry).ok_or(ENOMEM)?,
            _parent: parent,
        };
        Ok(Dir(Arc::new(entry, GFP_KERNEL)?))
    }
}

/// A pointer that owns its pointee, which stays at one address while the
/// pointer lives, however the pointer moves: what [`Files`] may show.
///
/// # Safety
/// `get` returns the same address for as long as `self` lives, and the
/// pointee is dropped no earlier than `self`.
pub(crate) unsafe trait Owner: Send + Sync {
    type Target: Sync;
    fn get(&self) -> &Self::Target;
}

// SAFETY: a box keeps its heap allocation until dropped.
unsafe impl<T: Send + Sync, A: Allocator> Owner for Box<T, A> {
    type Target = T;
    fn get(&self) -> &T {
        self
    }
}

// SAFETY: as for a box.
unsafe impl<T: Send + Sync, A: Allocator> Owner for Pin<Box<T, A>> {
    type Target = T;
    fn get(&self) -> &T {
        self
    }
}

// SAFETY: the shared allocation lives at least as long as this reference.
unsafe impl<T: Send + Sync> Owner for Arc<T> {
    type Target = T;
    fn get(&self) -> &T {
        self
    }
}

/// A file to create: its name and its operations on data `T`.
pub(crate) struct FileSpec<T: 'static> {
    pub(crate) name: &'static CStr,
    pub(crate) ops: &'static FileOps<T>,
}

impl<T> Clone for FileSpec<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for FileSpec<T> {}

/// `N` files in one directory on the datum `owner` holds. Dropping them
/// removes the files (waiting for reads and writes in flight), then drops
/// the datum, then lets go of the directory.
pub(crate) struct Files<O: Owner, const N: usize> {
    // Field order is drop order. The entries are only dropped.
    _entries: [Option<Entry>; N],
    owner: O,
}

impl<O: Owner, const N: usize> Files<O, N> {
    /// Creates `specs` in `dir` on `owner`'s datum. Always returns the
    /// files, with those that could not be made (all, without `dir`)
    /// missing, and the first error.
    pub(crate) fn new(
        dir: Option<&Dir>,
        owner: O,
        specs: [FileSpec<O::Target>; N],
    ) -> (Self, Result) {
        let mut result = if dir.is_some() { Ok(()) } else { Err(ENOENT) };
        let entries = specs.map(|spec| {
            let dir = dir?;
            Self::create(dir, &owner, &spec)
                .inspect_err(|e| {
                    if result.is_ok() {
                        result = Err(*e);
                    }
                })
                .ok()
        });
        (
            Files {
                _entries: entries,
                owner,
            },
            result,
        )
    }

    fn create(dir: &Dir, owner: &O, spec: &FileSpec<O::Target>) -> Result<Entry> {
        let data: *const O::Target = owner.get();
        // SAFETY: a live parent and a NUL-terminated name; the operations
        // are those of data `O::Target` (their type says so), and `data`
        // outlives the file: `Files` removes it before dropping `owner`.
        let dentry = unsafe {
            bindings::debugfs_create_file(
                spec.name.as_char_ptr(),
                spec.ops.mode(),
                dir.0.dentry.as_ptr(),
                data.cast_mut().cast(),
                spec.ops.as_raw(),
            )
        };
        Ok(Entry {
            dentry: NonNull::new(from_err_ptr(dentry)?).ok_or(ENOMEM)?,
            _parent: Some(dir.0.clone()),
        })
    }

    /// The datum the files show.
    pub(crate) fn get(&self) -> &O::Target {
        self.owner.get()
    }
}

/// A [`TextBuf`] as a C string, for a file or directory name.
pub(crate) fn name<const N: usize>(buf: &TextBuf<N>) -> Result<&CStr> {
    CStr::from_bytes_with_nul(buf.as_bytes_with_nul()).map_err(|_| EINVAL)
}
