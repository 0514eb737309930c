// SPDX-License-Identifier: GPL-2.0

//! What a command looks at: the whole host, one VM or one vCPU
//! (`--vm`, `--vcpu`).

use crate::error::{Error, Result};
use crate::layout::{Histogram, Table};
use crate::tree::{Snapshot, Vcpu};

#[derive(clap::Args, Clone, Debug, Default)]
pub struct ScopeArgs {
    /// One VM, by its directory's name (`<pid>-<fd>`, as KVM names it).
    #[arg(long, value_name = "PID-FD")]
    pub vm: Option<String>,
    /// One vCPU of that VM (KVM's vcpu_id); needs --vm.
    #[arg(long, value_name = "N", requires = "vm")]
    pub vcpu: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Host,
    Vm(String),
    Vcpu(String, u32),
}

impl Scope {
    pub fn of(args: &ScopeArgs) -> Scope {
        match (&args.vm, args.vcpu) {
            (None, _) => Scope::Host,
            (Some(vm), None) => Scope::Vm(vm.clone()),
            (Some(vm), Some(id)) => Scope::Vcpu(vm.clone(), id),
        }
    }

    /// The scope's table in `snap`; an error naming what exists if the
    /// VM or vCPU is not there.
    pub fn table<'a>(&self, snap: &'a Snapshot) -> Result<&'a Table> {
        match self {
            Scope::Host => Ok(&snap.summary),
            Scope::Vm(vm) => Ok(&find_vm(snap, vm)?.summary),
            Scope::Vcpu(vm, id) => Ok(&find_vcpu(snap, vm, *id)?.stats),
        }
    }

    /// The table if the scope exists in `snap`.
    pub fn table_if<'a>(&self, snap: &'a Snapshot) -> Option<&'a Table> {
        self.table(snap).ok()
    }

    /// The histograms of the vCPUs the scope covers (live ones: a
    /// destroyed VM's are gone).
    pub fn histograms<'a>(&self, snap: &'a Snapshot) -> Vec<(String, u32, &'a Histogram)> {
        let mut out = Vec::new();
        for vm in &snap.vms {
            for vcpu in &vm.vcpus {
                let inside = match self {
                    Scope::Host => true,
                    Scope::Vm(name) => *name == vm.name,
                    Scope::Vcpu(name, id) => *name == vm.name && *id == vcpu.id,
                };
                if let (true, Some(h)) = (inside, &vcpu.histogram) {
                    out.push((vm.name.clone(), vcpu.id, h));
                }
            }
        }
        out
    }

    pub fn label(&self) -> String {
        match self {
            Scope::Host => "every VM (host-wide, destroyed VMs included)".to_owned(),
            Scope::Vm(vm) => format!("VM {vm}"),
            Scope::Vcpu(vm, id) => format!("VM {vm} vCPU {id}"),
        }
    }
}

pub fn find_vm<'a>(snap: &'a Snapshot, name: &str) -> Result<&'a crate::tree::Vm> {
    snap.vm(name).ok_or_else(|| {
        let names: Vec<&str> = snap.vms.iter().map(|v| v.name.as_str()).collect();
        Error::NoSuchScope(format!(
            "no VM '{name}' in {} (VMs: {})",
            snap.root,
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        ))
    })
}

pub fn find_vcpu<'a>(snap: &'a Snapshot, vm: &str, id: u32) -> Result<&'a Vcpu> {
    let v = find_vm(snap, vm)?;
    v.vcpus.iter().find(|c| c.id == id).ok_or_else(|| {
        let ids: Vec<String> = v.vcpus.iter().map(|c| c.id.to_string()).collect();
        Error::NoSuchScope(format!(
            "VM {vm} has no vCPU {id} (vCPUs: {})",
            ids.join(", ")
        ))
    })
}
