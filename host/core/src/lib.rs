// SPDX-License-Identifier: GPL-2.0

//! The kernel module's pure files, compiled for the host so that cargo can
//! test them. Each module below is the very file the kernel builds; only
//! `core` is available to them, as in the kernel.

#![no_std]
// Outside tests nothing calls the crate-private API.
#![cfg_attr(not(test), allow(dead_code))]

#[path = "../../../rust/classify.rs"]
pub mod classify;
#[path = "../../../rust/command.rs"]
pub mod command;
#[path = "../../../rust/exit_type.rs"]
pub mod exit_type;
#[path = "../../../rust/histogram.rs"]
pub mod histogram;
#[path = "../../../rust/recorder.rs"]
pub mod recorder;
#[path = "../../../rust/row.rs"]
pub mod row;
#[path = "../../../rust/table.rs"]
pub mod table;
#[path = "../../../rust/text_buf.rs"]
pub mod text_buf;
#[path = "../../../rust/totals.rs"]
pub mod totals;
#[path = "../../../rust/version.rs"]
pub mod version;
#[path = "../../../rust/wide.rs"]
pub mod wide;

#[cfg(test)]
extern crate std;
#[cfg(test)]
mod tests;
