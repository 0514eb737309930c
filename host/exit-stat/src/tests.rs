// SPDX-License-Identifier: GPL-2.0

//! Parsing, on trees captured in the bed (tests/trees: a LS2080-like
//! host running a Linux guest: empty, two moments of the run, after the
//! VM was destroyed, just switched to cycles) and on odd files made from
//! them.

use crate::export::openmetrics::{self, Dialect};
use crate::layout::{Breakdown, Fixed2, Histogram, Ipi, Table};
use crate::tree;
use std::path::{Path, PathBuf};

fn trees() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trees")
}

fn all_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn every_captured_file_parses() {
    let mut files = Vec::new();
    all_files(&trees(), &mut files);
    assert!(files.len() > 80, "{} files", files.len());
    for p in files {
        let text = std::fs::read_to_string(&p).unwrap();
        let name = p.file_name().unwrap().to_str().unwrap();
        let r = match name {
            "stats" | "summary" => Table::parse(&text).map(|t| assert_eq!(t.rows.len(), 32)),
            "histogram" => Histogram::parse(&text).map(drop),
            "ipi" => Ipi::parse(&text).map(drop),
            "control" => crate::layout::Control::parse(&text).map(drop),
            _ => Breakdown::parse(&text).map(drop),
        };
        assert!(r.is_ok(), "{}: {:?}", p.display(), r.err());
    }
}

#[test]
fn trees_read_whole() {
    let t2 = tree::read(&trees().join("ls2080-mix-t2")).unwrap();
    assert_eq!(t2.vms.len(), 1);
    assert_eq!(t2.vms[0].name, "89-9");
    assert_eq!(t2.vms[0].vcpus.len(), 2);
    assert_eq!(t2.breakdowns.len(), 5);
    for vm in &t2.vms {
        // The VM's summary adds up its vCPUs' rows.
        for i in 0..32 {
            let sum: u64 = vm.vcpus.iter().map(|c| c.stats.rows[i].stats.count).sum();
            assert_eq!(
                vm.summary.rows[i].stats.count, sum,
                "{}",
                vm.summary.rows[i].name
            );
        }
        for c in &vm.vcpus {
            let h = c.histogram.as_ref().unwrap();
            for (r, hr) in c.stats.rows.iter().zip(&h.rows) {
                let n: u64 = hr.buckets.iter().map(|b| b.count).sum();
                assert_eq!(n, r.stats.count, "vcpu{} {}", c.id, r.name);
                assert_eq!(hr.p99, r.stats.p99);
            }
        }
    }
    let exits: u64 = t2.summary.header.get("exits").unwrap().parse().unwrap();
    let rows: u64 = t2
        .summary
        .rows
        .iter()
        .filter(|r| crate::layout::table::is_exit_row(&r.name))
        .map(|r| r.stats.count)
        .sum();
    assert_eq!(exits, rows);
    let done = tree::read(&trees().join("ls2080-mix-done")).unwrap();
    assert!(done.vms.is_empty());
    assert_eq!(
        done.summary.header.get("vms"),
        Some("1 (0 live, 1 destroyed)")
    );
    let empty = tree::read(&trees().join("empty")).unwrap();
    assert!(empty
        .summary
        .rows
        .iter()
        .all(|r| r.stats == Default::default()));
}

fn t2_summary() -> String {
    std::fs::read_to_string(trees().join("ls2080-mix-t2/summary")).unwrap()
}

#[test]
fn layout_versions() {
    let text = t2_summary();
    for (v, ok) in [
        ("0.3.0", true),
        ("0.3.17", true),
        ("0.4.0", false),
        ("0.2.9", false),
        ("0.3", false),
        ("0.3.x", false),
    ] {
        let r = Table::parse(&text.replacen("0.3.1", v, 1));
        assert_eq!(r.is_ok(), ok, "{v}: {r:?}");
        if !ok {
            let e = r.unwrap_err();
            assert_eq!(e.line, 1);
            assert!(e.what.contains(v), "{}", e.what);
        }
    }
    // Keys a later version adds are kept.
    let t = Table::parse(&text.replacen("# unit:", "# new_key: x\n# unit:", 1)).unwrap();
    assert_eq!(t.header.get("new_key"), Some("x"));
}

#[test]
fn broken_files_say_where() {
    let text = t2_summary();
    let lines: Vec<&str> = text.lines().collect();
    // A row left out.
    let cut = [&lines[..15], &lines[16..]].concat().join("\n");
    let e = Table::parse(&cut).unwrap_err();
    assert_eq!(e.line, 16, "{e}");
    // A number that is not one.
    let wfx = text.lines().find(|l| l.starts_with("WFX ")).unwrap();
    let e = Table::parse(&text.replacen(wfx, &wfx.replacen("627", "6x7", 1), 1)).unwrap_err();
    assert!(e.what.contains("6x7"), "{e}");
    // Not a file of the module at all.
    assert!(Table::parse("hello\n")
        .unwrap_err()
        .what
        .contains("not a kvm_exit_timing file"));
    assert!(Table::parse("").is_err());
    // Another kind.
    let hist = std::fs::read_to_string(trees().join("ls2080-mix-t2/89-9/vcpu0/histogram")).unwrap();
    assert!(Table::parse(&hist)
        .unwrap_err()
        .what
        .contains("'histogram' file"));
}

#[test]
fn huge_counts_stay_exact() {
    let text = t2_summary();
    let wfx = text.lines().find(|l| l.starts_with("WFX ")).unwrap();
    let max128 = u128::MAX.to_string();
    let huge = format!(
        "WFX {} 1 {} {} {max128} {} 1 {} 184467440737095516.15 {}.99",
        u64::MAX,
        u64::MAX,
        u64::MAX,
        u64::MAX,
        u64::MAX,
        u128::MAX / 100 - 1
    );
    let t = Table::parse(&text.replacen(wfx, &huge, 1)).unwrap();
    let r = &t.rows[0].stats;
    assert_eq!(r.count, u64::MAX);
    assert_eq!(r.total.0, u128::MAX);
    assert_eq!(r.total_per_s, Fixed2((u128::MAX / 100 - 1) * 100 + 99));
    assert_eq!(Fixed2::parse(&format!("{}.00", u128::MAX)), None);
    let json = serde_json::to_string(&t).unwrap();
    assert!(json.contains(&format!("\"total\":{max128}")), "{json}");
    let back: Table = serde_json::from_str(&json).unwrap();
    assert_eq!(back, t);
    assert_eq!(
        openmetrics::seconds(u128::MAX, 62_500_000),
        "5444517870735015415413993718908.29138328"
    );
}

#[test]
fn json_round_trips_a_tree() {
    for t in ["empty", "ls2080-mix-t1", "ls2080-mix-done", "cycles-empty"] {
        let s = tree::read(&trees().join(t)).unwrap();
        let back: tree::Snapshot =
            serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s, "{t}");
    }
}

#[test]
fn rates_and_seconds() {
    assert_eq!(Fixed2::parse("325.35"), Some(Fixed2(32535)));
    assert_eq!(Fixed2::parse("0.00"), Some(Fixed2(0)));
    assert_eq!(Fixed2::parse("1.5"), None);
    assert_eq!(Fixed2::parse("-1.00"), None);
    assert_eq!(Fixed2(32535).to_string(), "325.35");
    assert_eq!(openmetrics::seconds(62_500_000, 62_500_000), "1.0");
    assert_eq!(openmetrics::seconds(1, 62_500_000), "0.000000016");
    assert_eq!(openmetrics::seconds(0, 0), "NaN");
}

#[test]
fn openmetrics_histograms_add_up() {
    let s = tree::read(&trees().join("ls2080-mix-t2")).unwrap();
    let text = openmetrics::snapshot(&s, Dialect::OpenMetrics);
    assert!(text.ends_with("# EOF\n"));
    // For each vCPU's WFX: the +Inf bucket equals the count and the row's.
    for c in &s.vms[0].vcpus {
        let want = c.stats.rows[0].stats.count;
        let inf = format!("kvm_exit_timing_vcpu_exit_duration_seconds_bucket{{vm=\"89-9\",vcpu=\"{}\",type=\"WFX\",le=\"+Inf\"}} {want}\n", c.id);
        assert!(text.contains(&inf), "{inf}");
    }
    let prom = openmetrics::snapshot(&s, Dialect::Prometheus);
    assert!(prom.contains("# TYPE kvm_exit_timing_exits_total counter"));
    assert!(!prom.contains("# EOF") && !prom.contains("# UNIT"));
}

#[test]
fn intervals_difference_and_resets() {
    use crate::interval;
    use crate::scope::Scope;
    let t1 = tree::read(&trees().join("ls2080-mix-t1")).unwrap();
    let t2 = tree::read(&trees().join("ls2080-mix-t2")).unwrap();
    let vm = Scope::Vm("89-9".to_owned());
    let iv = interval::between(&[t1.clone(), t2.clone()], &vm).unwrap();
    assert_eq!(iv.resets, 0);
    for (r, (a, b)) in iv
        .rows
        .iter()
        .zip(t1.vms[0].summary.rows.iter().zip(&t2.vms[0].summary.rows))
    {
        assert_eq!(r.count, b.stats.count - a.stats.count, "{}", r.name);
        assert_eq!(r.total, b.stats.total.0 - a.stats.total.0, "{}", r.name);
        // The interval's histogram holds exactly its exits (both vCPUs live).
        let i = iv.rows.iter().position(|x| x.name == r.name).unwrap();
        assert_eq!(iv.histograms[i].iter().sum::<u64>(), r.count, "{}", r.name);
        if r.count > 0 {
            assert!(r.min <= r.p50 && r.p50 <= r.p99 && r.p99 <= r.max, "{r:?}");
            // A new maximum inside the interval is the interval's own.
            if b.stats.max > a.stats.max {
                assert_eq!(r.max, b.stats.max);
            }
        }
    }
    // Counts that go down: a reset in between, from which the interval runs.
    let iv = interval::between(&[t2.clone(), t1.clone()], &vm).unwrap();
    assert_eq!(iv.resets, 1);
    for (r, b) in iv.rows.iter().zip(&t1.vms[0].summary.rows) {
        assert_eq!(
            (r.count, r.total, r.max, r.precision),
            (
                b.stats.count,
                b.stats.total.0,
                b.stats.max,
                interval::Precision::Exact
            )
        );
    }
    // Shares of handling time add up to 100% (within rounding down).
    let sum: u128 = iv
        .rows
        .iter()
        .filter_map(|r| iv.share(r))
        .map(|s| s.0)
        .sum();
    assert!((9_990..=10_000).contains(&sum), "{sum}");
}

#[test]
fn exits_no_histogram_holds_are_unknown() {
    use crate::interval::{self, Precision};
    use crate::scope::Scope;
    let t1 = tree::read(&trees().join("ls2080-mix-t1")).unwrap();
    // One more WFX in the VM's table than its vCPUs' histograms hold, as
    // when an exit is recorded between the reads of two files.
    let mut later = t1.clone();
    later.unix_ms += 1000;
    later.vms[0].summary.rows[0].stats.count += 1;
    later.vms[0].summary.rows[0].stats.total.0 += 5000;
    let iv = interval::between(&[t1, later], &Scope::Vm("89-9".to_owned())).unwrap();
    let wfx = &iv.rows[0];
    assert_eq!(
        (wfx.count, wfx.total, wfx.precision),
        (1, 5000, Precision::Unknown)
    );
    assert_eq!(wfx.known(wfx.p99), None);
    let text = crate::seed_table::render(&iv, &crate::seed_table::Options { all_rows: false });
    let line = text.lines().find(|l| l.starts_with("WFX ")).unwrap();
    assert!(line.contains(" ? "), "{line}");
}
