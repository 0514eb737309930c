// SPDX-License-Identifier: GPL-2.0

//! `report`: the exit table of a recorded interval, from the first
//! snapshot to the last (deltas, not totals since the reset).

use crate::error::{Error, Result};
use crate::export::openmetrics::Dialect;
use crate::export::{self, Format};
use crate::interval::{self, Interval};
use crate::recording::{self, Recording};
use crate::scope::{Scope, ScopeArgs};
use crate::seed_table;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A recording (record -o FILE), or a tree (then: since its last reset).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    scope: ScopeArgs,
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print rows without exits too (text).
    #[arg(long)]
    all_rows: bool,
}

pub fn run(a: Args) -> Result<()> {
    let rec = recording::read_any(&a.file)?;
    let scope = Scope::of(&a.scope);
    let (iv, note) = interval_of(&rec, &scope)?;
    let out = match a.format {
        Format::Text => {
            let mut s = format!(
                "# kvm-exit-stat report of {}: {} snapshots, module {}\n",
                a.file.display(),
                rec.snapshots.len(),
                rec.description.module_version
            );
            if let Some(n) = note {
                s.push_str(&format!("# {n}\n"));
            }
            s + &seed_table::render(
                &iv,
                &seed_table::Options {
                    all_rows: a.all_rows,
                },
            )
        }
        Format::Json => serde_json::to_string_pretty(&json(&iv)).expect("serializes") + "\n",
        Format::Csv => export::csv::interval(&iv),
        Format::Openmetrics => export::openmetrics::interval(&iv, Dialect::OpenMetrics),
        Format::Prometheus => export::openmetrics::interval(&iv, Dialect::Prometheus),
    };
    crate::commands::write_stdout(&out)
}

/// The interval a recording covers for `scope`: for a VM or vCPU, from
/// the first snapshot that has it to the last (a VM destroyed before the
/// recording ended leaves its last snapshot; the note says so).
pub fn interval_of(rec: &Recording, scope: &Scope) -> Result<(Interval, Option<String>)> {
    let snaps = &rec.snapshots;
    let has: Vec<usize> = (0..snaps.len())
        .filter(|&i| scope.table_if(&snaps[i]).is_some())
        .collect();
    let (Some(&first), Some(&last)) = (has.first(), has.last()) else {
        // No snapshot has it: let the last one name what exists.
        scope.table(snaps.last().expect("non-empty"))?;
        unreachable!("the scope is in no snapshot");
    };
    let mut note = None;
    if last + 1 < snaps.len() {
        note = Some(format!(
            "{} is gone after snapshot {} of {}: exits after it are not in this report",
            scope.label(),
            last + 1,
            snaps.len()
        ));
    }
    let iv = if first > 0 && !matches!(scope, Scope::Host) {
        // Created during the recording: everything it did, from its start.
        let mut v = vec![empty_like(&snaps[first])];
        v.extend_from_slice(&snaps[first..=last]);
        let iv = interval::between(&v, scope)?;
        // Unless it was reset meanwhile, that is its table as it stands in
        // its last snapshot: the module's own values, every one exact.
        if iv.resets == 0 {
            interval::since_reset(&snaps[last], scope)?
        } else {
            iv
        }
    } else {
        interval::between(&snaps[first..=last], scope)?
    };
    if iv.frequency_hz == 0 {
        return Err(Error::BadFile {
            path: rec.description.root.clone().into(),
            what: "no frequency in the tables".to_owned(),
        });
    }
    Ok((iv, note))
}

/// A snapshot without VMs, at `s`'s time: the baseline of a VM that
/// appears later.
fn empty_like(s: &crate::tree::Snapshot) -> crate::tree::Snapshot {
    let mut e = s.clone();
    e.vms.clear();
    e
}

#[derive(serde::Serialize)]
struct JsonRow<'a> {
    #[serde(rename = "type")]
    name: &'a str,
    count: u64,
    min: Option<u64>,
    max: Option<u64>,
    avg: u64,
    total: u128,
    stddev: Option<u64>,
    p50: Option<u64>,
    p99: Option<u64>,
    precision: crate::interval::Precision,
    time_share_percent: Option<crate::layout::Fixed2>,
}

#[derive(serde::Serialize)]
struct JsonReport<'a> {
    scope: String,
    unit: &'a str,
    frequency_hz: u64,
    interval_us: u64,
    resets: u32,
    rows: Vec<JsonRow<'a>>,
}

fn json(iv: &Interval) -> JsonReport<'_> {
    JsonReport {
        scope: iv.scope.label(),
        unit: &iv.unit,
        frequency_hz: iv.frequency_hz,
        interval_us: iv.length_us,
        resets: iv.resets,
        rows: iv
            .rows
            .iter()
            .map(|r| JsonRow {
                name: &r.name,
                count: r.count,
                min: r.known(r.min),
                max: r.known(r.max),
                avg: r.avg(),
                total: r.total,
                stddev: r.known(r.stddev),
                p50: r.known(r.p50),
                p99: r.known(r.p99),
                precision: r.precision,
                time_share_percent: iv.share(r),
            })
            .collect(),
    }
}
