// SPDX-License-Identifier: GPL-2.0

//! The kernel module's pure files, compiled for the host so that cargo can
//! test them. Each module below is the very file the kernel builds; only
//! `core` is available to them, as in the kernel.

#![no_std]

#[path = "../../../rust/exit_type.rs"]
pub mod exit_type;
#[path = "../../../rust/version.rs"]
pub mod version;

#[cfg(test)]
mod tests;
