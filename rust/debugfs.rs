// SPDX-License-Identifier: GPL-2.0

//! Thin wrappers over the kernel's debugfs and seq_file C API, which the
//! 6.12 `kernel` crate lacks: owning directories, and files whose reads
//! render through [`Show`] and whose writes go to [`Store`].
//!
//! Files are created with `debugfs_create_file()`, whose proxy makes
//! `debugfs_remove()` wait for file operations in flight and fail later
//! ones: whatever a file points to may be freed once its directory is
//! removed.

use crate::pure::command::MAX_WRITE;
use core::ffi::{c_char, c_int, c_void};
use core::fmt;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};
use kernel::{
    bindings, error::from_err_ptr, prelude::*, str::CStr, uaccess::UserSlice, ThisModule,
};

/// A debugfs directory, removed with everything below it when dropped.
///
/// A subdirectory must be dropped before its parent.
pub(crate) struct Dir(NonNull<bindings::dentry>);

impl Dir {
    /// Creates the directory `name` at the root of debugfs.
    pub(crate) fn new_root(name: &CStr) -> Result<Self> {
        Self::create(name, ptr::null_mut())
    }

    /// Creates the directory `name` in this one.
    pub(crate) fn subdir(&self, name: &CStr) -> Result<Dir> {
        Self::create(name, self.0.as_ptr())
    }

    fn create(name: &CStr, parent: *mut bindings::dentry) -> Result<Dir> {
        // SAFETY: `name` is NUL-terminated for the call (debugfs copies
        // it); `parent` is null (the debugfs root) or a live directory.
        let dentry =
            from_err_ptr(unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) })?;
        NonNull::new(dentry).map(Dir).ok_or(ENOMEM)
    }

    /// Creates file `name` with permissions `mode`, operations `fops`, on
    /// `data`.
    ///
    /// # Safety
    /// `data` and `fops` stay valid until this directory is removed.
    pub(crate) unsafe fn file<T>(
        &self,
        name: &CStr,
        mode: u16,
        data: *const T,
        fops: &FileOps,
    ) -> Result {
        // SAFETY: live parent, NUL-terminated name; `data` and `fops`
        // outlive the file (the caller's contract).
        let dentry = unsafe {
            bindings::debugfs_create_file(
                name.as_char_ptr(),
                mode,
                self.0.as_ptr(),
                data.cast_mut().cast(),
                &fops.0,
            )
        };
        from_err_ptr(dentry).map(|_| ())
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        // SAFETY: the dentry came from a successful `debugfs_create_dir`,
        // its parent still exists (subdirectories go first) and it is
        // removed exactly once, here. Sleeps until file operations in
        // flight below it have finished.
        unsafe { bindings::debugfs_remove(self.0.as_ptr()) };
    }
}

// SAFETY: the dentry pointer is only handed back to debugfs, whose calls may
// be made from any thread.
unsafe impl Send for Dir {}
// SAFETY: `&Dir` only allows creating children, which debugfs serialises.
unsafe impl Sync for Dir {}

/// What a readable file shows: rendered whole on every read from offset 0.
pub(crate) trait Show: Sync {
    fn show(&self, out: &mut SeqFile<'_>) -> Result;
}

/// What a writable file does with one write of at most
/// [`MAX_WRITE`] bytes at offset 0.
pub(crate) trait Store: Sync {
    fn store(&self, input: &[u8]) -> Result;
}

/// The output of a [`Show`]: a `seq_file`, written with `write!`.
pub(crate) struct SeqFile<'a>(*mut bindings::seq_file, PhantomData<&'a mut ()>);

impl fmt::Write for SeqFile<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: the `seq_file` is live for the `show` call that made
        // `self`. On overflow seq_read() retries with a larger buffer.
        match unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) } {
            0 => Ok(()),
            _ => Err(fmt::Error),
        }
    }
}

/// A `file_operations` table for files on `T`.
pub(crate) struct FileOps(bindings::file_operations);

// SAFETY: the table holds function and module pointers only; the kernel
// reads it from any thread.
unsafe impl Sync for FileOps {}
// SAFETY: as for `Sync`.
unsafe impl Send for FileOps {}

impl FileOps {
    fn empty(module: &ThisModule) -> bindings::file_operations {
        // SAFETY: an all-zero `file_operations` is valid: every operation
        // absent.
        let mut ops: bindings::file_operations = unsafe { MaybeUninit::zeroed().assume_init() };
        // The module stays loaded while a file is open.
        ops.owner = module.as_ptr();
        ops
    }

    pub(crate) fn read_only<T: Show>(module: &ThisModule) -> FileOps {
        let mut ops = Self::empty(module);
        ops.open = Some(open::<T>);
        ops.read = Some(bindings::seq_read);
        ops.llseek = Some(bindings::seq_lseek);
        ops.release = Some(bindings::single_release);
        FileOps(ops)
    }

    pub(crate) fn write_only<T: Store>(module: &ThisModule) -> FileOps {
        let mut ops = Self::empty(module);
        ops.write = Some(write::<T>);
        FileOps(ops)
    }

    pub(crate) fn read_write<T: Show + Store>(module: &ThisModule) -> FileOps {
        let mut ops = Self::read_only::<T>(module);
        ops.0.write = Some(write::<T>);
        ops
    }
}

unsafe extern "C" fn open<T: Show>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: called by the VFS with a live inode and file; `i_private` is
    // the `data` given to `Dir::file`, a `T`.
    unsafe { bindings::single_open(file, Some(show::<T>), (*inode).i_private) }
}

unsafe extern "C" fn show<T: Show>(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: `private` is the `T` given to `single_open` by `open::<T>`,
    // valid while the file exists.
    let data = unsafe { &*((*m).private as *const T) };
    match data.show(&mut SeqFile(m, PhantomData)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn write<T: Store>(
    file: *mut bindings::file,
    buf: *const c_char,
    count: usize,
    pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: called by the VFS with a live file and position.
    let (inode, offset) = unsafe { ((*file).f_inode, *pos) };
    if offset != 0 || count == 0 || count > MAX_WRITE {
        return EINVAL.to_errno() as isize;
    }
    let mut input = [0u8; MAX_WRITE];
    if let Err(e) = UserSlice::new(buf as usize, count)
        .reader()
        .read_slice(&mut input[..count])
    {
        return e.to_errno() as isize;
    }
    // SAFETY: `i_private` is the `T` given to `Dir::file`, valid while the
    // file exists.
    let data = unsafe { &*((*inode).i_private as *const T) };
    match data.store(&input[..count]) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
