// SPDX-License-Identifier: GPL-2.0

//! The guest-exit hook that patches/6.12 adds to KVM/arm64
//! (`kvm_arm_exit_hook_register()`): KVM calls it once per guest run,
//! right after the world switch and before host interrupts are taken,
//! with the exit code and the stamp of the guest entry. KVM takes one hook
//! at a time, behind a static key: 17 instructions fewer per round trip
//! than a tracepoint on the one event that fires on every exit (measured,
//! BENCHMARKS.md).

use super::clock::TimingClock;
use super::kvm::RunningVcpu;
use super::tracepoint::ProbeArg;
use core::ffi::{c_int, c_void};
use kernel::{bindings, error::to_result, prelude::*, sync::Arc};

/// What the hook's data does on every guest exit, timed with clock `C`:
/// in the vCPU's own thread, inside KVM_RUN, interrupts off.
pub(crate) trait GuestExit<C: TimingClock>: Sync {
    /// The guest, entered at `entry` (`C`, read on this CPU), left with
    /// `exit_code`, an
    /// `ARM_EXCEPTION_*` value; the syndrome of a trap is the vCPU's
    /// [`RunningVcpu::esr`].
    fn guest_exit(&self, vcpu: &RunningVcpu, exit_code: i32, entry: u64);
}

/// The function KVM calls: its type is the hook's, checked where
/// [`ExitHook::register`] stores it.
unsafe extern "C" fn trampoline<C: TimingClock, D: GuestExit<C>>(
    data: *mut c_void,
    vcpu: *mut bindings::kvm_vcpu,
    exit_code: c_int,
    entry: u64,
) {
    // SAFETY: `data` is the `D` of the `ExitHook` that registered this
    // function, which keeps it alive until no call is in progress.
    let data = unsafe { &*data.cast::<D>() };
    // SAFETY: KVM calls the hook in the vCPU's thread, inside KVM_RUN.
    let vcpu = unsafe { <&RunningVcpu as ProbeArg<*mut bindings::kvm_vcpu>>::from_raw(vcpu) };
    <D as GuestExit<C>>::guest_exit(data, vcpu, exit_code, entry);
}

/// The hook, registered on data that `owner` keeps alive. Dropping it
/// unregisters it and waits until no call is in progress.
pub(crate) struct ExitHook<O> {
    /// What KVM holds a pointer to while the hook is registered: boxed,
    /// so that it does not move.
    raw: KBox<bindings::kvm_arm_exit_hook>,
    _owner: Arc<O>,
}

// SAFETY: the hook is a function and data KVM may call from any thread;
// the data is `O`'s, shared through `Arc<O>`, which requires `O: Send +
// Sync` for the same.
unsafe impl<O: Send + Sync> Send for ExitHook<O> {}
// SAFETY: `&ExitHook` gives access to nothing.
unsafe impl<O: Send + Sync> Sync for ExitHook<O> {}

impl<O: Send + Sync> ExitHook<O> {
    /// Registers the hook on the data `data` finds in `owner`, with KVM
    /// stamping guest entries on clock `C`. Fails with `EBUSY` if KVM
    /// already has a hook.
    pub(crate) fn register<C: TimingClock, D: GuestExit<C>>(
        owner: Arc<O>,
        data: fn(&O) -> &D,
    ) -> Result<Self> {
        let raw = KBox::new(
            bindings::kvm_arm_exit_hook {
                exit: Some(trampoline::<C, D>),
                data: (data(&owner) as *const D).cast_mut().cast(),
                clock: C::KVM,
            },
            GFP_KERNEL,
        )?;
        // SAFETY: `raw` stays where it is, and its data alive (`owner`),
        // until `drop` has unregistered it.
        to_result(unsafe { bindings::kvm_arm_exit_hook_register(&*raw) })?;
        Ok(ExitHook { raw, _owner: owner })
    }
}

impl<O> Drop for ExitHook<O> {
    fn drop(&mut self) {
        // SAFETY: registered by `register`. KVM ignores a hook that is
        // not its own, and returns once no call of it is in progress.
        unsafe { bindings::kvm_arm_exit_hook_unregister(&*self.raw) };
    }
}
