// SPDX-License-Identifier: GPL-2.0

//! kvm_exit_timing: an exit-timing profiler for KVM on arm64.
//!
//! For every kind of guest exit it will record how many happened and how
//! long each took, per vCPU and per VM, and show it under
//! `/sys/kernel/debug/kvm_exit_timing/`. Pure logic lives in `core`-only
//! files that the host crates also compile and test; kernel glue is thin.

use kernel::{c_str, prelude::*};

mod debugfs;
// The exit-timing tables will use all of it; the skeleton only counts rows.
#[allow(dead_code)]
mod exit_type;
mod version;

module! {
    type: KvmExitTiming,
    name: "kvm_exit_timing",
    author: "kvm-exit-timing developers",
    description: "Exit-timing profiler for KVM on arm64",
    license: "GPL",
}

// Loadable modules' modinfo strings go into `.modinfo` without a prefix.
#[cfg(MODULE)]
#[used]
#[link_section = ".modinfo"]
static MODINFO_VERSION: [u8; version::MODINFO.len()] = version::MODINFO;

struct KvmExitTiming {
    _root: debugfs::Dir,
}

impl kernel::Module for KvmExitTiming {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let root = debugfs::Dir::new_root(c_str!("kvm_exit_timing"))?;
        pr_info!(
            "kvm_exit_timing {} loaded ({} exit types)\n",
            version::VERSION,
            exit_type::ExitType::ALL.len()
        );
        Ok(KvmExitTiming { _root: root })
    }
}

impl Drop for KvmExitTiming {
    fn drop(&mut self) {
        pr_info!("kvm_exit_timing {} unloaded\n", version::VERSION);
    }
}
