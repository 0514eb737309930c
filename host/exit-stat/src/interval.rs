// SPDX-License-Identifier: GPL-2.0

//! The statistics of an interval between snapshots, per row: what
//! `report`, `diff`, `top` and the plots show. Counts and totals are the
//! differences of the tables' (exact). Minimum, maximum, deviation and
//! percentiles cannot be differenced: they are exact when the interval
//! starts at a reset (or at the row's first exit), or when a new minimum
//! or maximum was reached in it; otherwise they come from the difference
//! of the vCPUs' histograms (within a bucket, 12.5%) and are marked
//! approximate.

use crate::layout::{Fixed2, Stats, Table};
use crate::scope::Scope;
use crate::tree::Snapshot;
use kvm_exit_timing_core::shared;
use std::collections::BTreeMap;

/// How much min, max, stddev, p50 and p99 of an interval row can be
/// trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// The module's own values.
    Exact,
    /// From the interval's histogram, within a bucket (12.5%).
    Estimated,
    /// The histograms hold none of the interval's exits (they belonged to
    /// a VM destroyed since, or were recorded between the reads of two
    /// files of one snapshot).
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowInterval {
    pub name: String,
    pub count: u64,
    pub total: u128,
    pub min: u64,
    pub max: u64,
    pub stddev: u64,
    pub p50: u64,
    pub p99: u64,
    /// How far min, max, stddev, p50 and p99 can be trusted.
    pub precision: Precision,
}

impl RowInterval {
    /// A table row as it stands: every value the module's.
    pub fn whole(name: &str, s: &Stats) -> RowInterval {
        RowInterval {
            name: name.to_owned(),
            count: s.count,
            total: s.total.0,
            min: s.min,
            max: s.max,
            stddev: s.stddev,
            p50: s.p50,
            p99: s.p99,
            precision: Precision::Exact,
        }
    }

    /// `v` (one of min, max, stddev, p50, p99) if it is known.
    pub fn known(&self, v: u64) -> Option<u64> {
        (self.precision != Precision::Unknown).then_some(v)
    }

    /// `v` as a table shows it: `~` before an estimate, `?` if unknown.
    pub fn shown(&self, v: u64) -> String {
        match self.precision {
            Precision::Exact => v.to_string(),
            Precision::Estimated => format!("~{v}"),
            Precision::Unknown => "?".to_owned(),
        }
    }

    pub fn avg(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            (self.total / self.count as u128) as u64
        }
    }

    pub fn is_exit(&self) -> bool {
        crate::layout::table::is_exit_row(&self.name)
    }
}

#[derive(Debug, Clone)]
pub struct Interval {
    pub scope: Scope,
    pub unit: String,
    pub frequency_hz: u64,
    /// Wall-clock length, in microseconds.
    pub length_us: u64,
    /// Resets seen inside the interval (it then starts at the last one).
    pub resets: u32,
    pub rows: Vec<RowInterval>,
    /// The interval's histogram per row (buckets of the vCPUs in scope).
    pub histograms: Vec<[u64; shared::BUCKETS]>,
}

impl Interval {
    /// The guest exits in the interval (TIMEINGUEST, DESCHEDULED excluded).
    pub fn exits(&self) -> u64 {
        self.rows
            .iter()
            .filter(|r| r.is_exit())
            .map(|r| r.count)
            .sum()
    }

    /// The time spent handling exits (TIMEINGUEST, DESCHEDULED excluded).
    pub fn handling_total(&self) -> u128 {
        self.rows
            .iter()
            .filter(|r| r.is_exit())
            .map(|r| r.total)
            .sum()
    }

    /// A row's share of the handling time, in percent (`None` for
    /// TIMEINGUEST and DESCHEDULED, which are not exits).
    pub fn share(&self, row: &RowInterval) -> Option<Fixed2> {
        let all = self.handling_total();
        match (row.is_exit(), all) {
            (false, _) => None,
            (true, 0) => Some(Fixed2(0)),
            (true, all) => Some(Fixed2(row.total * 10_000 / all)),
        }
    }

    pub fn row(&self, name: &str) -> Option<&RowInterval> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// Seconds of `ticks` in the file's unit, as a float for display.
    pub fn seconds(&self, ticks: u128) -> f64 {
        if self.frequency_hz == 0 {
            0.0
        } else {
            ticks as f64 / self.frequency_hz as f64
        }
    }
}

/// Since the last reset: the table as it is.
pub fn since_reset(snap: &Snapshot, scope: &Scope) -> crate::error::Result<Interval> {
    let table = scope.table(snap)?;
    let hists = histograms(snap, scope, None);
    let rows = table
        .rows
        .iter()
        .map(|r| RowInterval::whole(&r.name, &r.stats))
        .collect();
    Ok(Interval {
        scope: scope.clone(),
        unit: table.header.unit().to_owned(),
        frequency_hz: table.header.frequency_hz().unwrap_or(0),
        length_us: table.header.interval_us().unwrap_or(0),
        resets: 0,
        rows,
        histograms: hists,
    })
}

/// From `snaps[0]` to the last of `snaps`, through each of them (so that a
/// reset in between is seen). The scope must exist in the last one.
pub fn between(snaps: &[Snapshot], scope: &Scope) -> crate::error::Result<Interval> {
    let last = snaps.last().expect("at least one snapshot");
    if snaps.len() == 1 {
        return since_reset(last, scope);
    }
    let end = scope.table(last)?;
    let mut acc: Option<Interval> = None;
    for pair in snaps.windows(2) {
        let step = step(&pair[0], &pair[1], scope);
        acc = Some(match acc {
            None => step,
            Some(a) => join(a, step),
        });
    }
    let mut out = acc.expect("one pair at least");
    out.unit = end.header.unit().to_owned();
    out.frequency_hz = end.header.frequency_hz().unwrap_or(0);
    Ok(out)
}

/// One step between consecutive snapshots.
fn step(a: &Snapshot, b: &Snapshot, scope: &Scope) -> Interval {
    let tb = scope.table_if(b);
    let ta = scope.table_if(a);
    let reset = match (ta, tb) {
        (Some(ta), Some(tb)) => was_reset(ta, tb),
        _ => false,
    };
    let base = if reset { None } else { ta };
    let hists = histograms(b, scope, if reset { None } else { Some(a) });
    let length_us = b.unix_ms.saturating_sub(a.unix_ms) * 1000;
    let rows = (0..shared::ROWS)
        .map(|i| {
            let name = shared::row_name(i);
            let rb = tb.map(|t| &t.rows[i].stats);
            let ra = base.map(|t| &t.rows[i].stats);
            match (ra, rb) {
                (_, None) => empty_row(name),
                // The interval holds the row's first exit: it is the
                // table's row as it stands.
                (None, Some(rb)) => RowInterval::whole(name, rb),
                (Some(ra), Some(rb)) if ra.count == 0 => RowInterval::whole(name, rb),
                (Some(ra), Some(rb)) => {
                    let count = rb.count.saturating_sub(ra.count);
                    let total = rb.total.0.saturating_sub(ra.total.0);
                    estimated(
                        name, count, total, &hists[i], rb.min, ra.min, rb.max, ra.max,
                    )
                }
            }
        })
        .collect();
    Interval {
        scope: scope.clone(),
        unit: String::new(),
        frequency_hz: 0,
        length_us,
        resets: reset as u32,
        rows,
        histograms: hists,
    }
}

/// A row of an interval that starts after its first exit.
#[allow(clippy::too_many_arguments)]
fn estimated(
    name: &str,
    count: u64,
    total: u128,
    hist: &[u64; shared::BUCKETS],
    min_b: u64,
    min_a: u64,
    max_b: u64,
    max_a: u64,
) -> RowInterval {
    if count == 0 {
        return empty_row(name);
    }
    let first = hist.iter().position(|&c| c != 0);
    let last = hist.iter().rposition(|&c| c != 0);
    // A new extreme was reached inside the interval: it is the interval's.
    let min = if min_b < min_a {
        min_b
    } else {
        first.map_or(min_b, |i| shared::bucket_bounds(i).0.max(min_b))
    };
    let max = if max_b > max_a {
        max_b
    } else {
        last.map_or(max_b, |i| shared::bucket_bounds(i).1.min(max_b))
    };
    let hcount: u64 = hist.iter().sum();
    if hcount == 0 {
        // Extremes that cannot sway a later join.
        return RowInterval {
            min: u64::MAX,
            max: 0,
            precision: Precision::Unknown,
            ..RowInterval::whole(
                name,
                &Stats {
                    count,
                    total: crate::layout::stats::Wide(total),
                    ..Stats::default()
                },
            )
        };
    }
    let [p50, p99] = shared::percentiles(hist, hcount, [500, 990], max);
    RowInterval {
        name: name.to_owned(),
        count,
        total,
        min,
        max,
        stddev: hist_stddev(hist),
        p50,
        p99,
        precision: Precision::Estimated,
    }
}

fn empty_row(name: &str) -> RowInterval {
    RowInterval {
        name: name.to_owned(),
        count: 0,
        total: 0,
        min: 0,
        max: 0,
        stddev: 0,
        p50: 0,
        p99: 0,
        precision: Precision::Exact,
    }
}

/// The deviation of a histogram's durations, each taken at its bucket's
/// middle.
fn hist_stddev(hist: &[u64; shared::BUCKETS]) -> u64 {
    let (mut n, mut sum, mut sq) = (0f64, 0f64, 0f64);
    for (i, &c) in hist.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let (lo, hi) = shared::bucket_bounds(i);
        let hi = if hi == u64::MAX { lo } else { hi };
        let mid = (lo as f64 + hi as f64) / 2.0;
        n += c as f64;
        sum += c as f64 * mid;
        sq += c as f64 * mid * mid;
    }
    if n == 0.0 {
        return 0;
    }
    let var = (sq / n - (sum / n) * (sum / n)).max(0.0);
    var.sqrt() as u64
}

/// Two consecutive steps as one.
fn join(a: Interval, b: Interval) -> Interval {
    let resets = a.resets + b.resets;
    let mut histograms = a.histograms;
    // After a reset the interval starts again at it.
    if b.resets > 0 {
        return Interval { resets, ..b };
    }
    for (h, hb) in histograms.iter_mut().zip(&b.histograms) {
        for (x, y) in h.iter_mut().zip(hb.iter()) {
            *x += y;
        }
    }
    let rows = a
        .rows
        .iter()
        .zip(&b.rows)
        .zip(&histograms)
        .map(|((ra, rb), h)| {
            if ra.count == 0 {
                return rb.clone();
            }
            if rb.count == 0 {
                return ra.clone();
            }
            let count = ra.count + rb.count;
            let min = ra.min.min(rb.min);
            let max = ra.max.max(rb.max);
            let hcount: u64 = h.iter().sum();
            let [p50, p99] = shared::percentiles(h, hcount, [500, 990], max);
            let known = ra.precision != Precision::Unknown || rb.precision != Precision::Unknown;
            RowInterval {
                name: ra.name.clone(),
                count,
                total: ra.total + rb.total,
                min,
                max,
                stddev: hist_stddev(h),
                p50,
                p99,
                precision: if known && hcount > 0 {
                    Precision::Estimated
                } else {
                    Precision::Unknown
                },
            }
        })
        .collect();
    Interval {
        scope: a.scope,
        unit: b.unit,
        frequency_hz: b.frequency_hz,
        length_us: a.length_us + b.length_us,
        resets,
        rows,
        histograms,
    }
}

/// Whether `b` was reset since `a`: its time since reset is shorter, or a
/// count went down.
fn was_reset(a: &Table, b: &Table) -> bool {
    let shorter = matches!((a.header.interval_ticks(), b.header.interval_ticks()), (Some(x), Some(y)) if y < x);
    shorter
        || a.rows
            .iter()
            .zip(&b.rows)
            .any(|(x, y)| y.stats.count < x.stats.count)
}

/// The histogram per row of the vCPUs in `scope` in `b`, less their
/// histogram in `a` (a vCPU new in `b` counts whole).
fn histograms(b: &Snapshot, scope: &Scope, a: Option<&Snapshot>) -> Vec<[u64; shared::BUCKETS]> {
    let mut before: BTreeMap<(String, u32), &crate::layout::Histogram> = BTreeMap::new();
    if let Some(a) = a {
        for (vm, id, h) in scope.histograms(a) {
            before.insert((vm, id), h);
        }
    }
    let mut out = vec![[0u64; shared::BUCKETS]; shared::ROWS];
    for (vm, id, h) in scope.histograms(b) {
        let old = before.get(&(vm, id));
        for (i, row) in h.rows.iter().enumerate() {
            let now = row.dense();
            let then = old.map(|o| o.rows[i].dense());
            for (k, slot) in out[i].iter_mut().enumerate() {
                let base = then.as_ref().map_or(0, |t| t[k]);
                *slot += now[k].saturating_sub(base);
            }
        }
    }
    out
}
