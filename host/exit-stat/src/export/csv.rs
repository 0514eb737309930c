// SPDX-License-Identifier: GPL-2.0

//! CSV: one record per table row and per breakdown key, of every scope.

use crate::interval::Interval;
use crate::layout::{Breakdown, Ipi, Stats, Table};
use crate::tree::{Breakdowns, Snapshot};

const SNAPSHOT_COLUMNS: [&str; 19] = [
    "scope",
    "vm",
    "vcpu",
    "file",
    "type",
    "key",
    "detail",
    "count",
    "min",
    "max",
    "avg",
    "total",
    "stddev",
    "p50",
    "p99",
    "count_per_s",
    "total_per_s",
    "unit",
    "frequency_hz",
];

struct Place<'a> {
    scope: &'a str,
    vm: &'a str,
    vcpu: String,
}

pub fn snapshot(snap: &Snapshot) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(SNAPSHOT_COLUMNS);
    let host = Place {
        scope: "host",
        vm: "",
        vcpu: String::new(),
    };
    scope(
        &mut w,
        &host,
        "summary",
        &snap.summary,
        &snap.breakdowns,
        snap.ipi.as_ref(),
    );
    for vm in &snap.vms {
        let p = Place {
            scope: "vm",
            vm: &vm.name,
            vcpu: String::new(),
        };
        scope(
            &mut w,
            &p,
            "summary",
            &vm.summary,
            &vm.breakdowns,
            vm.ipi.as_ref(),
        );
        for vcpu in &vm.vcpus {
            let p = Place {
                scope: "vcpu",
                vm: &vm.name,
                vcpu: vcpu.id.to_string(),
            };
            scope(
                &mut w,
                &p,
                "stats",
                &vcpu.stats,
                &vcpu.breakdowns,
                vcpu.ipi.as_ref(),
            );
        }
    }
    finish(w)
}

/// Every row of one scope: its table (`file` is its name), its
/// breakdowns and its IPI latency rows.
fn scope(
    w: &mut csv::Writer<Vec<u8>>,
    p: &Place<'_>,
    file: &str,
    t: &Table,
    b: &Breakdowns,
    i: Option<&Ipi>,
) {
    table(w, p, file, t);
    breakdowns(w, p, b, t);
    ipi(w, p, i, t);
}

fn finish(w: csv::Writer<Vec<u8>>) -> String {
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn record(
    w: &mut csv::Writer<Vec<u8>>,
    p: &Place<'_>,
    file: &str,
    names: [&str; 3],
    s: &Stats,
    t: &Table,
) {
    let _ = w.write_record([
        p.scope,
        p.vm,
        &p.vcpu,
        file,
        names[0],
        names[1],
        names[2],
        &s.count.to_string(),
        &s.min.to_string(),
        &s.max.to_string(),
        &s.avg.to_string(),
        &s.total.0.to_string(),
        &s.stddev.to_string(),
        &s.p50.to_string(),
        &s.p99.to_string(),
        &s.count_per_s.to_string(),
        &s.total_per_s.to_string(),
        t.header.unit(),
        &t.header.frequency_hz().unwrap_or(0).to_string(),
    ]);
}

fn table(w: &mut csv::Writer<Vec<u8>>, p: &Place<'_>, file: &str, t: &Table) {
    for r in &t.rows {
        record(w, p, file, [&r.name, "", ""], &r.stats, t);
    }
}

/// The IPI latency rows by kind (the matrix is in the JSON only).
fn ipi(w: &mut csv::Writer<Vec<u8>>, p: &Place<'_>, ipi: Option<&Ipi>, t: &Table) {
    for r in ipi.map_or(&[][..], |i| &i.rows[..]) {
        record(w, p, "ipi", [&r.name, "", ""], &r.stats, t);
    }
}

fn breakdowns(w: &mut csv::Writer<Vec<u8>>, p: &Place<'_>, b: &Breakdowns, t: &Table) {
    for (kind, bd) in b {
        breakdown(w, p, kind, bd, t);
    }
}

fn breakdown(w: &mut csv::Writer<Vec<u8>>, p: &Place<'_>, kind: &str, b: &Breakdown, t: &Table) {
    for r in &b.rows {
        record(w, p, kind, [&r.row, &r.key, &r.detail], &r.stats, t);
    }
}

/// A report's rows.
pub fn interval(iv: &Interval) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "type",
        "count",
        "min",
        "max",
        "avg",
        "total",
        "stddev",
        "p50",
        "p99",
        "precision",
        "time_share_percent",
        "unit",
        "frequency_hz",
        "interval_us",
    ]);
    for r in &iv.rows {
        let known = |v: u64| r.known(v).map_or(String::new(), |v| v.to_string());
        let _ = w.write_record([
            r.name.clone(),
            r.count.to_string(),
            known(r.min),
            known(r.max),
            r.avg().to_string(),
            r.total.to_string(),
            known(r.stddev),
            known(r.p50),
            known(r.p99),
            format!("{:?}", r.precision).to_lowercase(),
            iv.share(r).map_or(String::new(), |s| s.to_string()),
            iv.unit.clone(),
            iv.frequency_hz.to_string(),
            iv.length_us.to_string(),
        ]);
    }
    finish(w)
}
