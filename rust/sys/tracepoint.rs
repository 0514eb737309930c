// SPDX-License-Identifier: GPL-2.0

//! Probes on the kernel's tracepoints, which the 6.12 `kernel` crate cannot
//! attach.
//!
//! A tracepoint is declared once with [`tracepoints!`]: its C name, its
//! arguments as C passes them and as a probe sees them, and the trait a
//! probe's data implements. The declaration checks at compile time that
//! the arguments are the tracepoint's `TP_PROTO` (against the bindings of
//! `__traceiter_<name>`, which takes `void *data` and then exactly those),
//! and generates the C-ABI trampoline that turns them into safe types. A
//! [`Probe`] is a tracepoint, a trampoline and its data; [`Probes`]
//! registers a set of them and unregisters them when dropped.

use core::ffi::c_void;
use core::marker::PhantomData;
use kernel::{bindings, error::to_result, prelude::*, sync::Arc};

/// A probe ready to be registered: a tracepoint, a function of its
/// prototype and the data the function is called with, borrowed for `'a`.
pub(crate) struct Probe<'a> {
    tracepoint: *mut bindings::tracepoint,
    function: *mut c_void,
    data: *const c_void,
    _data: PhantomData<&'a ()>,
}

impl<'a> Probe<'a> {
    /// # Safety
    /// `function` is an `extern "C"` function whose parameters are `void
    /// *data` followed by `tracepoint`'s `TP_PROTO`, and may be called
    /// with `data` from the tracepoint's context for as long as `data`
    /// lives. [`tracepoints!`] makes the only calls.
    pub(crate) const unsafe fn new<D>(
        tracepoint: *mut bindings::tracepoint,
        function: *mut c_void,
        data: &'a D,
    ) -> Probe<'a> {
        Probe {
            tracepoint,
            function,
            data: (data as *const D).cast(),
            _data: PhantomData,
        }
    }

    fn register(&self) -> Result {
        // SAFETY: a tracepoint of the kernel and a function of its
        // prototype, whose data outlives the registration (`Probes` keeps
        // its owner until after unregistering and synchronising).
        to_result(unsafe {
            bindings::tracepoint_probe_register(
                self.tracepoint,
                self.function,
                self.data.cast_mut(),
            )
        })
    }

    fn unregister(&self) {
        // SAFETY: registered by `register` with the same three values
        // (`Probes` unregisters only what it registered). The kernel refuses
        // an unknown pair rather than dereferencing it.
        unsafe {
            bindings::tracepoint_probe_unregister(
                self.tracepoint,
                self.function,
                self.data.cast_mut(),
            )
        };
    }
}

/// `N` probes registered together on data that `owner` keeps alive.
/// Dropping them unregisters them in reverse order and waits until no call
/// that started before is still running.
pub(crate) struct Probes<O, const N: usize> {
    /// Borrowed from `owner` (the lifetime is erased: `owner` is held
    /// until after they are unregistered).
    probes: [Probe<'static>; N],
    _owner: Arc<O>,
}

// SAFETY: the probes are addresses handed to the tracepoint API, which may
// be called from any thread, and the data they point to is `O`'s, shared
// through `Arc<O>`, which requires `O: Send + Sync` for the same.
unsafe impl<O: Send + Sync, const N: usize> Send for Probes<O, N> {}
// SAFETY: `&Probes` gives access to nothing.
unsafe impl<O: Send + Sync, const N: usize> Sync for Probes<O, N> {}

impl<O: Send + Sync, const N: usize> Probes<O, N> {
    /// Registers the probes `make` builds on `owner`'s data, in order. If
    /// one fails, those before it are unregistered again.
    pub(crate) fn register(owner: Arc<O>, make: fn(&O) -> [Probe<'_>; N]) -> Result<Self> {
        let probes = register_all(make(&owner))?;
        Ok(Probes {
            probes,
            _owner: owner,
        })
    }

    /// [`Self::register`], for probes that `make` builds from `arg` too
    /// (tracepoints found at run time, say).
    pub(crate) fn register_with<A>(
        owner: Arc<O>,
        arg: A,
        make: fn(&O, A) -> [Probe<'_>; N],
    ) -> Result<Self> {
        let probes = register_all(make(&owner, arg))?;
        Ok(Probes {
            probes,
            _owner: owner,
        })
    }
}

/// Registers `probes` in order, or none if one fails. The borrow of their
/// data ends here: the caller keeps its owner until after they are
/// unregistered.
fn register_all<const N: usize>(probes: [Probe<'_>; N]) -> Result<[Probe<'static>; N]> {
    for (i, p) in probes.iter().enumerate() {
        if let Err(e) = p.register() {
            for q in probes[..i].iter().rev() {
                q.unregister();
            }
            synchronize();
            return Err(e);
        }
    }
    Ok(probes.map(|p| Probe {
        tracepoint: p.tracepoint,
        function: p.function,
        data: p.data,
        _data: PhantomData,
    }))
}

impl<O, const N: usize> Drop for Probes<O, N> {
    fn drop(&mut self) {
        for p in self.probes.iter().rev() {
            p.unregister();
        }
        synchronize();
    }
}

/// Waits until every probe call that started before returns.
fn synchronize() {
    // SAFETY: may sleep; probes are registered and dropped in process
    // context.
    unsafe { bindings::tracepoint_synchronize_unregister() }
}

/// A probe argument as the tracepoint passes it (`Raw`) and as the probe
/// sees it.
///
/// # Safety
/// `from_raw` may only be called by a trampoline of [`tracepoints!`], on
/// an argument whose tracepoint documents what `Self` requires.
pub(crate) unsafe trait ProbeArg<Raw> {
    /// # Safety
    /// As the trait's.
    unsafe fn from_raw(raw: Raw) -> Self;
}

macro_rules! plain_probe_args {
    ($($t:ty),*) => {$(
        // SAFETY: a plain value, passed on as it is.
        unsafe impl ProbeArg<$t> for $t {
            #[inline(always)]
            unsafe fn from_raw(raw: $t) -> $t {
                raw
            }
        }
    )*};
}
plain_probe_args!(bool, i32, u32, u64);

/// Declares tracepoints, each as
///
/// ```ignore
/// /// What it means, and what it guarantees about its arguments.
/// pub(crate) trait Handler: fn method = c_name(arg: RawType => ProbeType, ...);
/// ```
///
/// which generates the trait `Handler`, with `fn method(&self, arg:
/// ProbeType, ...)` for a probe's data to implement, and `fn method(data)
/// -> Probe`. It fails to compile unless `bindings::__tracepoint_c_name`
/// and `bindings::__traceiter_c_name` exist and the raw types are the
/// tracepoint's prototype.
macro_rules! tracepoints {
    ($(
        $(#[$doc:meta])*
        $vis:vis trait $handler:ident: fn $name:ident = $tp:ident($($arg:ident: $raw:ty => $ty:ty),* $(,)?);
    )*) => {$(
        $(#[$doc])*
        ///
        /// `V` names a variant, where one data type has several probes for
        /// this tracepoint (one per clock): each is its own function.
        $vis trait $handler<V = ()>: Sync {
            fn $name(&self, $($arg: $ty),*);
        }

        $(#[$doc])*
        $vis fn $name<V, D: $handler<V>>(data: &D) -> $crate::sys::tracepoint::Probe<'_> {
            ::kernel::macros::paste! {
                // The prototype check: the kernel's iterator for this
                // tracepoint takes `void *data` and then exactly the
                // tracepoint's arguments.
                const _: unsafe extern "C" fn(*mut ::core::ffi::c_void $(, $raw)*) -> ::core::ffi::c_int =
                    ::kernel::bindings::[<__traceiter_ $tp>];

                unsafe extern "C" fn trampoline<V, D: $handler<V>>(
                    data: *mut ::core::ffi::c_void $(, $arg: $raw)*
                ) {
                    // SAFETY: `data` is the `D` of the `Probe` below,
                    // which lives while the probe is registered.
                    let data = unsafe { &*data.cast::<D>() };
                    // SAFETY: called by the tracepoint, whose arguments
                    // are what its declaration documents.
                    <D as $handler<V>>::$name(data, $(unsafe {
                        <$ty as $crate::sys::tracepoint::ProbeArg<$raw>>::from_raw($arg)
                    }),*)
                }

                // SAFETY: `trampoline` has the prototype checked above and
                // calls `data`'s handler, which is safe Rust.
                unsafe {
                    $crate::sys::tracepoint::Probe::new(
                        &raw mut ::kernel::bindings::[<__tracepoint_ $tp>],
                        (trampoline::<V, D> as *const ()).cast_mut().cast(),
                        data,
                    )
                }
            }
        }
    )*};
}
pub(crate) use tracepoints;
