// SPDX-License-Identifier: GPL-2.0

//! kvm_exit_timing: an exit-timing profiler for KVM on arm64.
//!
//! For every kind of guest exit it records how many happened and how long
//! each took, per vCPU and per VM, and shows it under
//! `/sys/kernel/debug/kvm_exit_timing/`. It attaches probes to the bare
//! tracepoints of patches/6.12. Pure logic lives in `core`-only files that
//! the host crates also compile and test; kernel glue is thin.

use kernel::{prelude::*, sync::Arc};

// The pure layer: `core` only, tested on the host (host/core).
mod pure;

// Kernel glue.
mod clock;
mod debugfs;
mod entries;
mod files;
mod kvec_ext;
mod kvm;
mod memory;
mod probes;
mod profiler;
mod registry;
mod tracepoint;

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
static MODINFO_VERSION: [u8; pure::version::MODINFO.len()] = pure::version::MODINFO;

struct KvmExitTiming {
    profiler: Arc<profiler::Profiler>,
}

impl kernel::Module for KvmExitTiming {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let profiler = profiler::Profiler::new(module)?;
        if let Err(e) = profiler.start() {
            profiler.shutdown();
            return Err(e);
        }
        pr_info!(
            "kvm_exit_timing {} loaded ({} exit types, clock {} Hz)\n",
            pure::version::VERSION,
            pure::exit_type::ExitType::COUNT,
            profiler.clock.hz
        );
        Ok(KvmExitTiming { profiler })
    }
}

impl Drop for KvmExitTiming {
    fn drop(&mut self) {
        self.profiler.shutdown();
        pr_info!("kvm_exit_timing {} unloaded\n", pure::version::VERSION);
    }
}
