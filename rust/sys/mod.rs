// SPDX-License-Identifier: GPL-2.0

//! The sys layer: typed wrappers over the kernel's C API that the 6.12
//! `kernel` crate does not offer, and the one place that trusts what C
//! passes in. Nearly all of the module's `unsafe` lives here, each block
//! with the reason it is sound; the layers above use safe types.

pub(crate) mod clock;
pub(crate) mod cycle_counter;
pub(crate) mod debugfs;
pub(crate) mod irq_tracepoints;
pub(crate) mod kvm;
pub(crate) mod kvm_abi;
pub(crate) mod kvm_exit_hook;
pub(crate) mod kvm_tracepoints;
pub(crate) mod memory;
pub(crate) mod module_param;
pub(crate) mod once_box;
pub(crate) mod tracepoint;
pub(crate) mod vec;
pub(crate) mod workqueue;
pub(crate) mod zeroable;
