// SPDX-License-Identifier: GPL-2.0

//! The host's interrupt tracepoints, as typed probes: `irq_handler_entry`
//! (a handler is about to run) and `ipi_entry` (arm64's IPI handler is
//! about to handle an IPI of some kind).
//!
//! The kernel exports neither as a symbol, so they are found by name
//! among the kernel's tracepoints when their probes are registered, and
//! their prototypes cannot be checked against the bindings: each is
//! written out below from its `TP_PROTO` in include/trace/events/.
//! Their probes run in hard interrupt context, on every CPU, for every
//! interrupt: they get an [`InIrq`] to find the vCPU they interrupted.

use super::kvm::RunningVcpu;
use super::tracepoint::Probe;
use core::ffi::{c_char, c_int, c_void};
use core::marker::PhantomData;
use kernel::{bindings, c_str, prelude::*, str::CStr, types::Opaque};

/// A handler's `struct irqaction`, live while the handler runs
/// (free_irq() waits for running handlers before it frees the action).
#[repr(transparent)]
pub(crate) struct IrqAction(Opaque<bindings::irqaction>);

impl IrqAction {
    /// The name the handler was requested with (empty if none).
    pub(crate) fn name(&self) -> &[u8] {
        // SAFETY: a field of a live action (see the type), set before the
        // handler was installed and not changed while it is.
        let name = unsafe { (*self.0.get()).name };
        if name.is_null() {
            return b"";
        }
        // SAFETY: a NUL-terminated string, owned by the driver until it
        // frees the IRQ, which waits for this handler first.
        unsafe { CStr::from_char_ptr(name) }.as_bytes()
    }
}

/// Proof that a probe runs in an interrupt handler on this CPU: nothing
/// is scheduled on this CPU until the probe returns.
pub(crate) struct InIrq(PhantomData<*mut ()>);

impl InIrq {
    /// The vCPU whose thread the interrupt interrupted, if that thread was
    /// inside one of its vCPU's ioctls with the vCPU loaded.
    #[inline(always)]
    pub(crate) fn running_vcpu(&self) -> Option<&RunningVcpu> {
        // SAFETY: no preconditions; reads this CPU's pointer.
        let running = unsafe { bindings::kvm_get_running_vcpu() };
        // KVM sets the pointer while a vCPU's thread has it loaded on this
        // CPU and clears it before that thread is switched out; an
        // interrupt then runs on that thread, which cannot go away before
        // the handler returns, nor can the vCPU it is inside an ioctl of.
        // SAFETY: as above, valid for as long as `self`.
        (!running.is_null()).then(|| unsafe { &*running.cast::<RunningVcpu>() })
    }
}

/// A tracepoint of the host kernel, found by name; `T` is its
/// declaration's handler trait object, which ties a probe to it.
pub(crate) struct Found<T: ?Sized> {
    tracepoint: *mut bindings::tracepoint,
    _declaration: PhantomData<fn(&T)>,
}

impl<T: ?Sized> Clone for Found<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: ?Sized> Copy for Found<T> {}

/// The kernel's (not a module's) tracepoint called `name`; `ENOENT` if
/// the kernel has none.
fn find(name: &CStr) -> Result<*mut bindings::tracepoint> {
    struct Search<'a> {
        name: &'a CStr,
        found: *mut bindings::tracepoint,
    }
    unsafe extern "C" fn visit(tp: *mut bindings::tracepoint, search: *mut c_void) {
        // SAFETY: the `Search` below, alive during the walk.
        let search = unsafe { &mut *search.cast::<Search<'_>>() };
        // SAFETY: the kernel's tracepoints are static and named by
        // NUL-terminated strings.
        let tp_name = unsafe { CStr::from_char_ptr((*tp).name) };
        if tp_name.as_bytes() == search.name.as_bytes() {
            search.found = tp;
        }
    }
    let mut search = Search {
        name,
        found: core::ptr::null_mut(),
    };
    // SAFETY: `visit` only reads the tracepoints it is given and writes
    // `search`, which outlives the call.
    unsafe {
        bindings::for_each_kernel_tracepoint(Some(visit), (&raw mut search).cast());
    }
    if search.found.is_null() {
        pr_err!("no tracepoint {} in this kernel\n", name);
        return Err(ENOENT);
    }
    Ok(search.found)
}

/// A handler of `irq_handler_entry`: `TP_PROTO(int irq, struct irqaction
/// *action)`.
pub(crate) trait IrqHandlerEntry: Sync {
    fn irq_handler_entry(&self, cx: &InIrq, irq: u32, action: &IrqAction);
}

/// A handler of `ipi_entry`: `TP_PROTO(const char *reason)`, where
/// `reason` is a static string (the event's documented contract).
pub(crate) trait IpiEntry: Sync {
    fn ipi_entry(&self, cx: &InIrq, reason: &'static CStr);
}

impl Found<dyn IrqHandlerEntry> {
    pub(crate) fn irq_handler_entry() -> Result<Self> {
        Ok(Found {
            tracepoint: find(c_str!("irq_handler_entry"))?,
            _declaration: PhantomData,
        })
    }

    /// A probe calling `data`'s handler.
    pub(crate) fn probe<D: IrqHandlerEntry>(self, data: &D) -> Probe<'_> {
        unsafe extern "C" fn trampoline<D: IrqHandlerEntry>(
            data: *mut c_void,
            irq: c_int,
            action: *mut bindings::irqaction,
        ) {
            // SAFETY: `data` is the `D` of the probe, alive while it is
            // registered; `action` is the running handler's (see
            // `IrqAction`).
            let (data, action) = unsafe { (&*data.cast::<D>(), &*action.cast::<IrqAction>()) };
            // IRQ numbers are never negative.
            data.irq_handler_entry(&InIrq(PhantomData), irq as u32, action)
        }
        // SAFETY: `trampoline` takes `void *data` and then the
        // tracepoint's `TP_PROTO`, as written above.
        unsafe {
            Probe::new(
                self.tracepoint,
                (trampoline::<D> as *const ()).cast_mut().cast(),
                data,
            )
        }
    }
}

impl Found<dyn IpiEntry> {
    pub(crate) fn ipi_entry() -> Result<Self> {
        Ok(Found {
            tracepoint: find(c_str!("ipi_entry"))?,
            _declaration: PhantomData,
        })
    }

    /// A probe calling `data`'s handler.
    pub(crate) fn probe<D: IpiEntry>(self, data: &D) -> Probe<'_> {
        unsafe extern "C" fn trampoline<D: IpiEntry>(data: *mut c_void, reason: *const c_char) {
            // SAFETY: `data` is the `D` of the probe, alive while it is
            // registered; `reason` a static NUL-terminated string.
            let (data, reason) = unsafe { (&*data.cast::<D>(), CStr::from_char_ptr(reason)) };
            data.ipi_entry(&InIrq(PhantomData), reason)
        }
        // SAFETY: `trampoline` takes `void *data` and then the
        // tracepoint's `TP_PROTO`, as written above.
        unsafe {
            Probe::new(
                self.tracepoint,
                (trampoline::<D> as *const ()).cast_mut().cast(),
                data,
            )
        }
    }
}
