// SPDX-License-Identifier: GPL-2.0

//! `snapshot`: every table now, once.

use crate::error::Result;
use crate::export::openmetrics::Dialect;
use crate::export::{self, Format};
use crate::interval;
use crate::scope::{self, Scope, ScopeArgs};
use crate::seed_table;
use crate::tree;
use crate::tree::RootArg;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: RootArg,
    /// text: the exit table of every VM and vCPU; json: the parsed tree;
    /// csv: a line per row and breakdown key; openmetrics: for Prometheus.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Only this VM's (or vCPU's) tables; the host-wide ones stay in
    /// json, csv and the metrics.
    #[command(flatten)]
    scope: ScopeArgs,
    /// Print rows without exits too (text).
    #[arg(long)]
    all_rows: bool,
}

pub fn run(a: Args) -> Result<()> {
    let mut snap = tree::read(&a.root.root)?;
    let only = Scope::of(&a.scope);
    keep_only(&mut snap, &only)?;
    let out = match a.format {
        Format::Json => serde_json::to_string_pretty(&snap).expect("a tree serializes") + "\n",
        Format::Csv => export::csv::snapshot(&snap),
        Format::Openmetrics => export::openmetrics::snapshot(&snap, Dialect::OpenMetrics),
        Format::Prometheus => export::openmetrics::snapshot(&snap, Dialect::Prometheus),
        Format::Text => text(&snap, &only, a.all_rows)?,
    };
    crate::commands::write_stdout(&out)
}

/// The host's table, then each VM's, then each vCPU's, since the last
/// reset.
pub fn text(snap: &tree::Snapshot, only: &Scope, all_rows: bool) -> Result<String> {
    let opts = seed_table::Options { all_rows };
    let mut scopes = match only {
        Scope::Host => vec![Scope::Host],
        _ => Vec::new(),
    };
    for vm in &snap.vms {
        if !matches!(only, Scope::Vcpu(..)) {
            scopes.push(Scope::Vm(vm.name.clone()));
        }
        scopes.extend(vm.vcpus.iter().map(|c| Scope::Vcpu(vm.name.clone(), c.id)));
    }
    let mut out = format!(
        "# kvm_exit_timing {} tables of {}, since the last reset\n",
        snap.version(),
        snap.root
    );
    for s in scopes {
        out.push('\n');
        out.push_str(&seed_table::render(
            &interval::since_reset(snap, &s)?,
            &opts,
        ));
    }
    Ok(out)
}

/// Leaves in `snap` only the VM (and vCPU) `only` names.
fn keep_only(snap: &mut tree::Snapshot, only: &Scope) -> Result<()> {
    match only {
        Scope::Host => {}
        Scope::Vm(vm) => {
            scope::find_vm(snap, vm)?;
            snap.vms.retain(|v| v.name == *vm);
        }
        Scope::Vcpu(vm, id) => {
            scope::find_vcpu(snap, vm, *id)?;
            snap.vms.retain(|v| v.name == *vm);
            snap.vms[0].vcpus.retain(|c| c.id == *id);
        }
    }
    Ok(())
}
