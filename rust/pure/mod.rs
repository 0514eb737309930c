// SPDX-License-Identifier: GPL-2.0

//! The pure layer: the profiler's logic in `core` alone (exit types,
//! classification, the per-vCPU recorder, statistics, histograms, the text
//! of the files). No kernel import may appear below this folder: the host
//! crate (host/core) compiles the whole folder through this one file and
//! tests it with cargo, so such an import breaks `cargo test`.

pub(crate) mod breakdown;
pub(crate) mod breakdown_file;
pub(crate) mod breakdown_sums;
pub(crate) mod classify;
pub(crate) mod command;
pub(crate) mod el2;
pub(crate) mod el2_section;
pub(crate) mod exit_type;
pub(crate) mod histogram;
pub(crate) mod host_irq;
pub(crate) mod ipi;
pub(crate) mod ipi_file;
pub(crate) mod key_names;
pub(crate) mod rate;
pub(crate) mod recorder;
pub(crate) mod row;
pub(crate) mod table;
pub(crate) mod text_buf;
pub(crate) mod totals;
pub(crate) mod version;
pub(crate) mod wide;
