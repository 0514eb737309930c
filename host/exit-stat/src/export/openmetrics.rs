// SPDX-License-Identifier: GPL-2.0

//! OpenMetrics 1.0 text (application/openmetrics-text), following
//! Prometheus' conventions: `kvm_exit_timing_` names, durations in
//! seconds, counters with `_total`, histograms as `_bucket{le}` series.
//! Families:
//!
//! - host-wide, destroyed VMs included: `exits_total{type}`,
//!   `exit_seconds_total{type}`, `el2_traps_total{type}` and the
//!   breakdowns' `breakdown_exits_total` / `breakdown_exit_seconds_total`
//!   `{breakdown,type,key,detail}`;
//! - per live vCPU: `vcpu_exits_total{vm,vcpu,type}`,
//!   `vcpu_exit_seconds_total`, and `vcpu_exit_duration_seconds`, a
//!   histogram of the rows with exits, its buckets each power of two of
//!   the module's (whose 8 sub-buckets are summed);
//! - the module: `info{version,clock,unit}`, `vms`, `vcpus`, and
//!   `dropped_no_state_total`, `dropped_unpaired_total`.
//!
//! A scope's counters restart at zero on a reset: Prometheus' rate()
//! treats that as a counter reset.

use crate::interval::Interval;
use crate::layout::Stats;
use crate::tree::Snapshot;
use kvm_exit_timing_core::shared;
use std::fmt::Write;

const PREFIX: &str = "kvm_exit_timing";

/// OpenMetrics 1.0, or the Prometheus text format 0.0.4 that
/// node_exporter's textfile collector and `promtool check metrics` read:
/// the same samples, but families named as their samples (`_total`),
/// info as a gauge, no UNIT and no EOF.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    OpenMetrics,
    Prometheus,
}

struct Out {
    text: String,
    dialect: Dialect,
}

impl Out {
    fn new(dialect: Dialect) -> Out {
        Out {
            text: String::new(),
            dialect,
        }
    }

    /// A family's metadata; `name` without the `_total` or `_info` its
    /// samples carry.
    fn family(&mut self, name: &str, kind: &str, unit: Option<&str>, help: &str) {
        let (name, kind) = match (self.dialect, kind) {
            (Dialect::OpenMetrics, _) => (name.to_owned(), kind),
            (Dialect::Prometheus, "counter") => (format!("{name}_total"), kind),
            (Dialect::Prometheus, "info") => (format!("{name}_info"), "gauge"),
            (Dialect::Prometheus, _) => (name.to_owned(), kind),
        };
        let _ = writeln!(self.text, "# TYPE {PREFIX}_{name} {kind}");
        if let (Some(u), Dialect::OpenMetrics) = (unit, self.dialect) {
            let _ = writeln!(self.text, "# UNIT {PREFIX}_{name} {u}");
        }
        let _ = writeln!(self.text, "# HELP {PREFIX}_{name} {help}");
    }

    fn end(mut self) -> String {
        if self.dialect == Dialect::OpenMetrics {
            self.text.push_str("# EOF\n");
        }
        self.text
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: &str) {
        let _ = write!(self.text, "{PREFIX}_{name}");
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {value}");
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `ticks / hz` in decimal seconds, exactly to the nanosecond (rounded
/// down).
pub fn seconds(ticks: u128, hz: u64) -> String {
    if hz == 0 {
        return "NaN".to_owned();
    }
    let hz = hz as u128;
    let whole = ticks / hz;
    let nanos = (ticks % hz) * 1_000_000_000 / hz;
    let mut s = format!("{whole}.{nanos:09}");
    while s.ends_with('0') && !s.ends_with(".0") {
        s.pop();
    }
    s
}

/// One labelled row of a table: its labels and statistics.
type Labelled<'a> = (Vec<(&'a str, &'a str)>, &'a Stats);

/// A counter family of `rows`' counts (`NAME_total`) and its twin of their
/// times (`NAME_seconds_total`, with `time_name` as NAME): `what` says whose
/// exits they are.
fn counted_and_timed(
    o: &mut Out,
    name: &str,
    time_name: &str,
    what: &str,
    rows: &[Labelled<'_>],
    hz: u64,
) {
    o.family(name, "counter", None, &format!("Exits {what}."));
    for (labels, s) in rows {
        o.sample(&format!("{name}_total"), labels, &s.count.to_string());
    }
    o.family(
        time_name,
        "counter",
        Some("seconds"),
        &format!("Time spent in exits {what}."),
    );
    for (labels, s) in rows {
        o.sample(
            &format!("{time_name}_total"),
            labels,
            &seconds(s.total.0, hz),
        );
    }
}

pub fn snapshot(snap: &Snapshot, dialect: Dialect) -> String {
    let mut o = Out::new(dialect);
    let hz = snap.summary.header.frequency_hz().unwrap_or(0);
    let unit = snap.summary.header.unit();
    let clock = snap.summary.header.get("clock").unwrap_or("");

    o.family("module", "info", None, "The module's version and clock.");
    o.sample(
        "module_info",
        &[
            ("version", snap.version()),
            ("clock", clock),
            ("unit", unit),
        ],
        "1",
    );

    let host: Vec<Labelled<'_>> = snap
        .summary
        .rows
        .iter()
        .map(|r| (vec![("type", r.name.as_str())], &r.stats))
        .collect();
    counted_and_timed(&mut o, "exits", "exit_seconds", "of every VM since the last reset, by exit type (TIMEINGUEST: guest runs, DESCHEDULED: preemptions)", &host, hz);
    if let Some(el2) = &snap.summary.el2 {
        o.family(
            "el2_traps",
            "counter",
            None,
            "Traps KVM handled at EL2 without returning to the host, by class.",
        );
        for r in &el2.rows {
            o.sample(
                "el2_traps_total",
                &[("type", &r.name)],
                &r.count.to_string(),
            );
        }
    }
    let keys: Vec<Labelled<'_>> = snap
        .breakdowns
        .iter()
        .flat_map(|(kind, b)| {
            b.rows.iter().map(move |r| {
                (
                    vec![
                        ("breakdown", kind.as_str()),
                        ("type", r.row.as_str()),
                        ("key", r.key.as_str()),
                        ("detail", r.detail.as_str()),
                    ],
                    &r.stats,
                )
            })
        })
        .collect();
    if !keys.is_empty() {
        counted_and_timed(
            &mut o,
            "breakdown_exits",
            "breakdown_exit_seconds",
            "of every VM since the last reset, by breakdown key",
            &keys,
            hz,
        );
    }

    if let Some(ipi) = &snap.ipi {
        let kinds: Vec<Labelled<'_>> = ipi
            .rows
            .iter()
            .map(|r| (vec![("kind", r.name.as_str())], &r.stats))
            .collect();
        o.family(
            "ipis",
            "counter",
            None,
            "Virtual IPIs timed (breakdown ipi), by where the receiver was.",
        );
        for (labels, s) in &kinds {
            o.sample("ipis_total", labels, &s.count.to_string());
        }
        o.family(
            "ipi_latency_seconds",
            "counter",
            Some("seconds"),
            "Latency of the virtual IPIs timed, summed, by where the receiver was.",
        );
        for (labels, s) in &kinds {
            o.sample("ipi_latency_seconds_total", labels, &seconds(s.total.0, hz));
        }
    }
    let ids: Vec<Vec<String>> = snap
        .vms
        .iter()
        .map(|vm| vm.vcpus.iter().map(|c| c.id.to_string()).collect())
        .collect();
    let mut vcpu_rows: Vec<Labelled<'_>> = Vec::new();
    let mut hists = Vec::new();
    for (vm, vm_ids) in snap.vms.iter().zip(&ids) {
        for (c, id) in vm.vcpus.iter().zip(vm_ids) {
            let id = id.as_str();
            for r in &c.stats.rows {
                vcpu_rows.push((
                    vec![
                        ("vm", vm.name.as_str()),
                        ("vcpu", id),
                        ("type", r.name.as_str()),
                    ],
                    &r.stats,
                ));
            }
            if let Some(h) = &c.histogram {
                for (row, stat) in h.rows.iter().zip(&c.stats.rows) {
                    if row.count != 0 {
                        hists.push((vm.name.as_str(), id, row, &stat.stats));
                    }
                }
            }
        }
    }
    counted_and_timed(
        &mut o,
        "vcpu_exits",
        "vcpu_exit_seconds",
        "of a live vCPU since the last reset, by exit type",
        &vcpu_rows,
        hz,
    );
    o.family(
        "vcpu_exit_duration_seconds",
        "histogram",
        Some("seconds"),
        "Durations of a live vCPU's exits since the last reset, by exit type (rows with exits).",
    );
    for (vm, id, row, stats) in hists {
        let labels = [("vm", vm), ("vcpu", id), ("type", row.name.as_str())];
        let mut cumulative = 0u64;
        for (le, n) in power_of_two_buckets(&row.dense()) {
            cumulative += n;
            let le = le.map_or_else(|| "+Inf".to_owned(), |t| seconds(t as u128, hz));
            let mut with_le = labels.to_vec();
            with_le.push(("le", &le));
            o.sample(
                "vcpu_exit_duration_seconds_bucket",
                &with_le,
                &cumulative.to_string(),
            );
        }
        o.sample(
            "vcpu_exit_duration_seconds_count",
            &labels,
            &cumulative.to_string(),
        );
        o.sample(
            "vcpu_exit_duration_seconds_sum",
            &labels,
            &seconds(stats.total.0, hz),
        );
    }
    if let Some(ctl) = &snap.control {
        o.family("vms", "gauge", None, "VMs timed now.");
        o.sample("vms", &[], ctl.get("vms").unwrap_or("0"));
        o.family("vcpus", "gauge", None, "vCPUs timed now.");
        o.sample("vcpus", &[], ctl.get("vcpus").unwrap_or("0"));
        for (k, help) in [
            ("dropped_no_state", "Events of vCPUs that had no state."),
            (
                "dropped_unpaired",
                "Exits dropped because their end came before their start.",
            ),
        ] {
            o.family(k, "counter", None, help);
            o.sample(&format!("{k}_total"), &[], ctl.get(k).unwrap_or("0"));
        }
    }
    o.end()
}

/// The buckets of a row at each power of two: (highest value, count),
/// the last one `None` (+Inf) holding the rest. Only up to the highest
/// non-empty one, to keep series few.
fn power_of_two_buckets(dense: &[u64; shared::BUCKETS]) -> Vec<(Option<u64>, u64)> {
    let last = dense.iter().rposition(|&c| c != 0).unwrap_or(0);
    let mut out: Vec<(Option<u64>, u64)> = Vec::new();
    let mut acc = 0u64;
    let mut bound = 0u64; // the next power-of-two boundary: values <= 2^k - 1
    for (i, &c) in dense.iter().enumerate().take(last + 1) {
        let (_, hi) = shared::bucket_bounds(i);
        acc += c;
        if hi == u64::MAX {
            break;
        }
        // hi + 1 a power of two: a boundary.
        if (hi + 1).is_power_of_two() && hi >= bound {
            out.push((Some(hi), acc));
            acc = 0;
            bound = hi + 1;
        }
    }
    out.push((None, acc));
    out
}

/// A report's interval as gauges: its exits and time per type.
pub fn interval(iv: &Interval, dialect: Dialect) -> String {
    let mut o = Out::new(dialect);
    o.family(
        "interval_exits",
        "gauge",
        None,
        "Exits in the reported interval, by exit type.",
    );
    for r in &iv.rows {
        o.sample("interval_exits", &[("type", &r.name)], &r.count.to_string());
    }
    o.family(
        "interval_exit_seconds",
        "gauge",
        Some("seconds"),
        "Time spent in exits in the reported interval, by exit type.",
    );
    for r in &iv.rows {
        o.sample(
            "interval_exit_seconds",
            &[("type", &r.name)],
            &seconds(r.total, iv.frequency_hz),
        );
    }
    o.family(
        "interval_length_seconds",
        "gauge",
        Some("seconds"),
        "Length of the reported interval.",
    );
    o.sample(
        "interval_length_seconds",
        &[],
        &seconds(iv.length_us as u128, 1_000_000),
    );
    o.end()
}
