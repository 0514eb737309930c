// SPDX-License-Identifier: GPL-2.0

//! The kernel module's pure layer, compiled for the host so that cargo can
//! test it. `pure` is the very folder the kernel builds (rust/pure/),
//! included whole: a pure file cannot be left out of these tests. Only
//! `core` is available to it, as in the kernel.

#![no_std]
// Outside tests nothing calls the crate-private API.
#![cfg_attr(not(test), allow(dead_code))]

#[path = "../../../rust/pure/mod.rs"]
pub mod pure;

pub mod shared;

#[cfg(test)]
extern crate std;
#[cfg(test)]
mod tests;
