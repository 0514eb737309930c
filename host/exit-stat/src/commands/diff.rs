// SPDX-License-Identifier: GPL-2.0

//! `diff A B`: two recordings (or trees) side by side, each row with B/A
//! in percent, as the 2016 study set guest against native and 2 VMs
//! against 1.

use crate::error::Result;
use crate::interval::Interval;
use crate::recording;
use crate::scope::Scope;
use crate::seed_table::write_aligned;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The baseline: a recording or a tree.
    #[arg(value_name = "A")]
    a: PathBuf,
    /// The one compared with it.
    #[arg(value_name = "B")]
    b: PathBuf,
    /// Compare this VM of both (`<pid>-<fd>`).
    #[arg(long, value_name = "PID-FD")]
    vm: Option<String>,
    /// A's VM, when the two differ.
    #[arg(long, value_name = "PID-FD")]
    a_vm: Option<String>,
    /// B's VM, when the two differ.
    #[arg(long, value_name = "PID-FD")]
    b_vm: Option<String>,
    /// Compare rates (per second of each interval) rather than counts and
    /// totals, for runs of different lengths.
    #[arg(long)]
    per_second: bool,
    /// Print rows without exits in either too.
    #[arg(long)]
    all_rows: bool,
}

pub fn run(a: Args) -> Result<()> {
    let scope = |own: &Option<String>| match own.as_ref().or(a.vm.as_ref()) {
        Some(vm) => Scope::Vm(vm.clone()),
        None => Scope::Host,
    };
    let ra = recording::read_any(&a.a)?;
    let rb = recording::read_any(&a.b)?;
    let (ia, _) = super::report::interval_of(&ra, &scope(&a.a_vm))?;
    let (ib, _) = super::report::interval_of(&rb, &scope(&a.b_vm))?;
    crate::commands::write_stdout(&render(&ia, &ib, &a))
}

/// B/A in percent, one decimal; "-" when A is 0.
pub fn ratio(a: u128, b: u128) -> String {
    if a == 0 {
        return if b == 0 {
            "-".to_owned()
        } else {
            "new".to_owned()
        };
    }
    let tenths = b * 1000 / a;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn render(ia: &Interval, ib: &Interval, a: &Args) -> String {
    let mut out = String::new();
    for (tag, iv, path) in [("A", ia, &a.a), ("B", ib, &a.b)] {
        out.push_str(&format!(
            "# {tag}: {} ({}), {}.{:03} s, {} at {} Hz\n",
            path.display(),
            iv.scope.label(),
            iv.length_us / 1_000_000,
            iv.length_us % 1_000_000 / 1000,
            iv.unit,
            iv.frequency_hz
        ));
    }
    if ia.unit != ib.unit || ia.frequency_hz != ib.frequency_hz {
        out.push_str(
            "# note: A and B differ in unit or frequency: compare avg and totals with care\n",
        );
    }
    // Per second: scale by the interval lengths (hundredths kept).
    let per_s = |v: u128, iv: &Interval| {
        if a.per_second && iv.length_us > 0 {
            v * 1_000_000 / iv.length_us as u128
        } else {
            v
        }
    };
    let (c, t) = if a.per_second {
        ("count/s", "total/s")
    } else {
        ("count", "total")
    };
    let mut cells = vec![[
        "type".to_owned(),
        format!("{c} A"),
        format!("{c} B"),
        "B/A".to_owned(),
        "avg A".to_owned(),
        "avg B".to_owned(),
        "B/A".to_owned(),
        format!("{t} A"),
        format!("{t} B"),
        "B/A".to_owned(),
    ]];
    for (x, y) in ia.rows.iter().zip(&ib.rows) {
        if !a.all_rows && x.count == 0 && y.count == 0 {
            continue;
        }
        let (ca, cb) = (per_s(x.count as u128, ia), per_s(y.count as u128, ib));
        let (ta, tb) = (per_s(x.total, ia), per_s(y.total, ib));
        cells.push([
            x.name.clone(),
            ca.to_string(),
            cb.to_string(),
            ratio(ca, cb),
            x.avg().to_string(),
            y.avg().to_string(),
            ratio(x.avg() as u128, y.avg() as u128),
            ta.to_string(),
            tb.to_string(),
            ratio(ta, tb),
        ]);
    }
    write_aligned(&mut out, &cells);
    out
}
