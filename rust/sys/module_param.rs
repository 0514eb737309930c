// SPDX-License-Identifier: GPL-2.0

//! Module parameters, which the 6.12 `module!` macro cannot declare (the
//! `kernel` crate gained them later): a `struct kernel_param` placed in the
//! module's `__param` section, as `module_param_cb()` places it in C. The
//! module loader parses `name=value` from the insmod/modprobe line with
//! it before the module's init runs, and sysfs shows it under
//! /sys/module/<module>/parameters/.

use core::ffi::{c_char, c_int};
use kernel::{bindings, prelude::*, str::CStr};

/// A parameter's value: how it is parsed and shown.
pub(crate) trait ParamValue: 'static {
    /// Takes `value` (empty for a bare `name`); `EINVAL` refuses the load.
    fn set(value: &[u8]) -> Result;
    /// Writes what sysfs shows into `out`, returns its length.
    fn show(out: &mut [u8]) -> usize;
}

/// Capacity of the buffer sysfs hands to `get` (`param_attr_show()`).
const SHOW_BUFFER: usize = bindings::PAGE_SIZE;

/// The loader's `set`: `value` is NUL-terminated, or null for a bare name.
pub(crate) unsafe extern "C" fn set<T: ParamValue>(
    value: *const c_char,
    _kp: *const bindings::kernel_param,
) -> c_int {
    let bytes = if value.is_null() {
        &[][..]
    } else {
        // SAFETY: the loader passes a NUL-terminated string that lives
        // during the call.
        unsafe { CStr::from_char_ptr(value) }.as_bytes()
    };
    match T::set(bytes) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// sysfs's `get`: writes into a page-sized buffer.
pub(crate) unsafe extern "C" fn get<T: ParamValue>(
    buffer: *mut c_char,
    _kp: *const bindings::kernel_param,
) -> c_int {
    // SAFETY: `param_attr_show()` passes the sysfs page, `SHOW_BUFFER`
    // bytes, ours during the call.
    let out = unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), SHOW_BUFFER) };
    T::show(out) as c_int
}

/// A `struct kernel_param` in a static, as the loader finds it.
#[repr(transparent)]
pub(crate) struct Param(pub(crate) bindings::kernel_param);

// SAFETY: the loader and sysfs only read it; its pointers are to statics
// (the name, the operations, the module).
unsafe impl Sync for Param {}

/// The operations of a parameter, in a static.
#[repr(transparent)]
pub(crate) struct ParamOps(pub(crate) bindings::kernel_param_ops);

// SAFETY: read-only function pointers.
unsafe impl Sync for ParamOps {}

/// Declares module parameter `$name` (a C string literal), whose value is
/// handled by `$value: ParamValue`, readable by everyone in sysfs.
macro_rules! module_param {
    ($name:literal, $value:ty) => {
        const _: () = {
            static OPS: $crate::sys::module_param::ParamOps =
                $crate::sys::module_param::ParamOps(::kernel::bindings::kernel_param_ops {
                    flags: 0,
                    set: Some($crate::sys::module_param::set::<$value>),
                    get: Some($crate::sys::module_param::get::<$value>),
                    free: None,
                });

            #[used]
            #[link_section = "__param"]
            static PARAM: $crate::sys::module_param::Param =
                $crate::sys::module_param::Param(::kernel::bindings::kernel_param {
                    name: $name.as_ptr(),
                    // THIS_MODULE: sysfs holds the module's parameter
                    // lock through it.
                    mod_: &raw const ::kernel::bindings::__this_module as *mut _,
                    ops: &OPS.0,
                    perm: 0o444,
                    level: -1,
                    flags: 0,
                    __bindgen_anon_1: ::kernel::bindings::kernel_param__bindgen_ty_1 {
                        arg: ::core::ptr::null_mut(),
                    },
                });
        };
    };
}
pub(crate) use module_param;
