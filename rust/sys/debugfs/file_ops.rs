// SPDX-License-Identifier: GPL-2.0

//! What a debugfs file does, as a `file_operations` table fixed at compile
//! time for each view type.
//!
//! A view is a type that implements [`Show`] (reads render the whole file
//! through a `seq_file`) and/or [`Store`] (one short write at offset 0) on
//! its `Data`. `ReadOnly::<V>::OPS`, `WriteOnly::<V>::OPS` and
//! `ReadWrite::<V>::OPS` are its tables, typed `FileOps<V::Data>`, so that
//! a file can only be created on the data its view expects.

use crate::pure::command::MAX_WRITE;
use core::ffi::{c_char, c_int, c_void};
use core::fmt;
use core::marker::PhantomData;
use kernel::{bindings, prelude::*, uaccess::UserSlice};

/// What a readable file shows: rendered whole on every read from offset 0.
pub(crate) trait Show: 'static {
    type Data: Sync + 'static;
    fn show(data: &Self::Data, out: &mut SeqFile<'_>) -> Result;
}

/// What a writable file does with one write of at most [`MAX_WRITE`]
/// bytes at offset 0.
pub(crate) trait Store: 'static {
    type Data: Sync + 'static;
    fn store(data: &Self::Data, input: &[u8]) -> Result;
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

/// A `file_operations` table and mode for files on data `T`.
pub(crate) struct FileOps<T> {
    ops: bindings::file_operations,
    mode: u16,
    _data: PhantomData<fn(&T)>,
}

// SAFETY: the table holds function and module pointers only; the kernel
// reads it from any thread.
unsafe impl<T> Sync for FileOps<T> {}

impl<T> FileOps<T> {
    pub(crate) const fn mode(&self) -> u16 {
        self.mode
    }

    pub(crate) const fn as_raw(&self) -> *const bindings::file_operations {
        &self.ops
    }
}

/// A table with every operation absent but the owner.
const fn empty_ops() -> bindings::file_operations {
    // SAFETY: an all-zero `file_operations` is valid: no operation.
    let mut ops: bindings::file_operations = unsafe { core::mem::zeroed() };
    // This module stays loaded while one of its files is open. Only the
    // address is taken: nothing reads or writes the static here.
    ops.owner = &raw mut bindings::__this_module;
    ops
}

/// The operations of a read-only view (mode 0400).
pub(crate) struct ReadOnly<V>(PhantomData<V>);
/// The operations of a write-only view (mode 0200).
pub(crate) struct WriteOnly<V>(PhantomData<V>);
/// The operations of a view that reads and writes (mode 0600).
pub(crate) struct ReadWrite<V>(PhantomData<V>);

impl<V: Show> ReadOnly<V> {
    pub(crate) const OPS: FileOps<V::Data> = FileOps {
        ops: read_ops::<V>(),
        mode: 0o400,
        _data: PhantomData,
    };
}

impl<V: Store> WriteOnly<V> {
    pub(crate) const OPS: FileOps<V::Data> = FileOps {
        ops: {
            let mut ops = empty_ops();
            ops.write = Some(write::<V>);
            ops
        },
        mode: 0o200,
        _data: PhantomData,
    };
}

impl<V: Show + Store<Data = <V as Show>::Data>> ReadWrite<V> {
    pub(crate) const OPS: FileOps<<V as Show>::Data> = FileOps {
        ops: {
            let mut ops = read_ops::<V>();
            ops.write = Some(write::<V>);
            ops
        },
        mode: 0o600,
        _data: PhantomData,
    };
}

const fn read_ops<V: Show>() -> bindings::file_operations {
    let mut ops = empty_ops();
    ops.open = Some(open::<V>);
    ops.read = Some(bindings::seq_read);
    ops.llseek = Some(bindings::seq_lseek);
    ops.release = Some(bindings::single_release);
    ops
}

unsafe extern "C" fn open<V: Show>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: called by the VFS with a live inode and file; `i_private` is
    // the data the file was created on, a `V::Data` (its operations are
    // `FileOps<V::Data>`).
    unsafe { bindings::single_open(file, Some(show::<V>), (*inode).i_private) }
}

unsafe extern "C" fn show<V: Show>(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: `private` is the `V::Data` given to `single_open` by
    // `open::<V>`, alive while the file exists.
    let data = unsafe { &*((*m).private as *const V::Data) };
    match V::show(data, &mut SeqFile(m, PhantomData)) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

unsafe extern "C" fn write<V: Store>(
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
    // SAFETY: `i_private` is the `V::Data` the file was created on, alive
    // while the file exists.
    let data = unsafe { &*((*inode).i_private as *const V::Data) };
    match V::store(data, &input[..count]) {
        Ok(()) => count as isize,
        Err(e) => e.to_errno() as isize,
    }
}
