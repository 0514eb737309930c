// SPDX-License-Identifier: GPL-2.0

//! kvm_exit_timing: an exit-timing profiler for KVM on arm64.
//!
//! For every kind of guest exit it records how many happened and how long
//! each took, per vCPU and per VM, and shows it under
//! `/sys/kernel/debug/kvm_exit_timing/`. It attaches probes to the bare
//! tracepoints of patches/6.12.
//!
//! Three layers, each a folder or file group:
//! - `pure/`: the logic, in `core` alone, also built and tested on the
//!   host (host/core);
//! - `sys/`: typed wrappers over the kernel's C API, where nearly all
//!   `unsafe` lives;
//! - the module itself: the profiler split by context (`profiler.rs`:
//!   lifecycle and control; `profiler/`: the probes, the pool they use, the
//!   worker that keeps the debugfs tree), the per-vCPU and per-VM objects
//!   (`entries.rs`, `registry.rs`) and the files (`files/`).

use kernel::{prelude::*, sync::Arc};

mod pure;
mod sys;

mod entries;
mod files;
mod params;
mod profiler;
mod registry;

use profiler::{Profiler, Tree};
use pure::{exit_type::ExitType, version};
use sys::debugfs::Files;

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
    /// Removed first on unload, so that no command or read runs while the
    /// profiler shuts down.
    files: Option<RootFiles>,
    profiler: Arc<Profiler>,
}

/// The files at the root of the module's directory.
struct RootFiles {
    _control: Files<Arc<Profiler>, 1>,
    /// `summary` and the breakdowns of every VM.
    _summary: Files<Arc<Tree>, { files::root::TREE_FILES.len() }>,
}

impl kernel::Module for KvmExitTiming {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let profiler = Profiler::new(&files::TREE)?;
        if let Err(e) = profiler.start(params::load_clock()) {
            profiler.shutdown();
            return Err(e);
        }
        let tree = profiler.tree().clone();
        let root = tree.root().clone();
        let (control, made) = Files::new(Some(&root), profiler.clone(), [files::root::CONTROL]);
        let (summary, made_too) = Files::new(Some(&root), tree, files::root::TREE_FILES);
        if let Err(e) = made.and(made_too) {
            pr_err!("cannot create the debugfs files (error {})\n", e.to_errno());
            drop((control, summary));
            profiler.shutdown();
            return Err(e);
        }
        pr_info!(
            "kvm_exit_timing {} loaded ({} exit types, clock {} Hz)\n",
            version::VERSION,
            ExitType::COUNT,
            profiler.counter_hz()
        );
        Ok(KvmExitTiming {
            files: Some(RootFiles {
                _control: control,
                _summary: summary,
            }),
            profiler,
        })
    }
}

impl Drop for KvmExitTiming {
    fn drop(&mut self) {
        self.files = None;
        self.profiler.shutdown();
        pr_info!("kvm_exit_timing {} unloaded\n", version::VERSION);
    }
}
