// SPDX-License-Identifier: GPL-2.0

//! kvm-exit-stat as a user runs it, on the trees captured in the bed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kvm-exit-stat"))
}

fn trees() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/trees")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

fn stdout(o: &Output) -> String {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kvm-exit-stat-test-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn tree(name: &str) -> String {
    trees().join(name).display().to_string()
}

/// A recording made of two captured trees, as `record` writes it.
fn recording_of(a: &str, b: &str) -> PathBuf {
    let path = tmp(&format!("{a}-{b}.jsonl"));
    let snap = |t: &str| -> serde_json::Value {
        serde_json::from_str(&stdout(&run(&[
            "snapshot",
            "--format",
            "json",
            "--root",
            &tree(t),
        ])))
        .unwrap()
    };
    let (mut sa, mut sb) = (snap(a), snap(b));
    // Three seconds apart, as t1 and t2 were taken.
    sa["unix_ms"] = 1_000_000.into();
    sb["unix_ms"] = 1_004_000.into();
    let desc = serde_json::json!({"recording": {"format": "kvm-exit-stat recording", "format_version": 1,
        "module_version": "0.3.1", "clock": "arm64 generic counter (arch_timer_read_counter)", "unit": "ticks",
        "frequency_hz": 62500000, "root": "test", "interval_ms": 4000, "command": [], "tool_version": "0.3.1"}});
    let text = format!(
        "{desc}\n{}\n{}\n",
        serde_json::json!({"snapshot": sa}),
        serde_json::json!({"snapshot": sb})
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// The fields of `row` in a table file.
fn file_row(path: &Path, row: &str) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let line = text
        .lines()
        .find(|l| l.split_whitespace().next() == Some(row))
        .unwrap();
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn snapshot_json_equals_the_files() {
    let t = tree("ls2080-mix-t2");
    let j: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "snapshot", "--format", "json", "--root", &t,
    ])))
    .unwrap();
    let vm = &j["vms"][0];
    for (vcpu, path) in [(0, "89-9/vcpu0/stats"), (1, "89-9/vcpu1/stats")] {
        let rows = j["vms"][0]["vcpus"][vcpu]["stats"]["rows"]
            .as_array()
            .unwrap();
        for r in rows {
            let name = r["type"].as_str().unwrap();
            let f = file_row(&trees().join("ls2080-mix-t2").join(path), name);
            let cols = [
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
            ];
            for (i, c) in cols.iter().enumerate() {
                assert_eq!(r[c].to_string(), f[i + 1], "vcpu{vcpu} {name} {c}");
            }
        }
    }
    assert_eq!(vm["name"], "89-9");
    assert_eq!(j["summary"]["header"]["version"], "0.3.1");
}

#[test]
fn report_is_the_difference() {
    let rec = recording_of("ls2080-mix-t1", "ls2080-mix-t2");
    let out = stdout(&run(&[
        "report",
        rec.to_str().unwrap(),
        "--vm",
        "89-9",
        "--format",
        "csv",
    ]));
    let t1 = trees().join("ls2080-mix-t1/89-9/summary");
    let t2 = trees().join("ls2080-mix-t2/89-9/summary");
    let mut seen = 0;
    for line in out.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (a, b) = (file_row(&t1, f[0]), file_row(&t2, f[0]));
        let count: u64 = b[1].parse::<u64>().unwrap() - a[1].parse::<u64>().unwrap();
        let total: u128 = b[5].parse::<u128>().unwrap() - a[5].parse::<u128>().unwrap();
        assert_eq!(f[1], count.to_string(), "{}", f[0]);
        assert_eq!(f[5], total.to_string(), "{}", f[0]);
        seen += (count > 0) as u32;
        if count > 0 {
            let (min, max): (u64, u64) = (f[2].parse().unwrap(), f[3].parse().unwrap());
            assert!(min <= max && max <= b[3].parse().unwrap(), "{line}");
            // The interval's percentiles lie within its extremes.
            let p99: u64 = f[8].parse().unwrap();
            assert!(p99 <= max, "{line}");
        }
    }
    assert!(seen >= 5, "{out}");
    assert!(out.lines().count() == 33);
    let text = stdout(&run(&["report", rec.to_str().unwrap(), "--vm", "89-9"]));
    assert!(text.contains("# interval: 4.000 s"), "{text}");
    assert!(text.contains("~"), "estimates are marked: {text}");
    // A tree reads as since its reset: the file's own numbers, exact.
    let text = stdout(&run(&["report", &tree("ls2080-mix-t2"), "--vm", "89-9"]));
    let wfx = file_row(&t2, "WFX");
    let line = text.lines().find(|l| l.starts_with("WFX ")).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&f[1..8], &wfx[1..8], "{line}");
}

#[test]
fn diff_gives_ratios() {
    let out = stdout(&run(&[
        "diff",
        &tree("ls2080-mix-t1"),
        &tree("ls2080-mix-t2"),
    ]));
    let a = file_row(&trees().join("ls2080-mix-t1/summary"), "WFX");
    let b = file_row(&trees().join("ls2080-mix-t2/summary"), "WFX");
    let line = out.lines().find(|l| l.starts_with("WFX ")).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    let (ca, cb): (u128, u128) = (a[1].parse().unwrap(), b[1].parse().unwrap());
    assert_eq!(f[1], a[1]);
    assert_eq!(f[2], b[1]);
    let tenths = cb * 1000 / ca;
    assert_eq!(f[3], format!("{}.{}%", tenths / 10, tenths % 10));
}

#[test]
fn record_runs_a_command() {
    let out = tmp("rec.jsonl");
    let o = run(&[
        "record",
        "--root",
        &tree("ls2080-mix-t2"),
        "-o",
        out.to_str().unwrap(),
        "--interval",
        "0.05",
        "--",
        "sleep",
        "0.2",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let n = text.lines().count();
    assert!(n >= 3, "{n} lines");
    assert!(text
        .lines()
        .next()
        .unwrap()
        .contains("\"module_version\":\"0.3.1\""));
    // The command's failure is kvm-exit-stat's.
    let o = run(&[
        "record",
        "--root",
        &tree("empty"),
        "-o",
        out.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "exit 7",
    ]);
    assert_eq!(o.status.code(), Some(7));
    // A recording cut in the middle of its last line still reports.
    let cut = tmp("cut.jsonl");
    std::fs::write(&cut, &text[..text.len() - 100]).unwrap();
    stdout(&run(&["report", cut.to_str().unwrap()]));
}

#[test]
fn errors_and_exit_codes() {
    let code = |args: &[&str]| run(args).status.code().unwrap();
    assert_eq!(code(&["snapshot", "--root", "/nonexistent"]), 3);
    assert_eq!(code(&["snapshot", "--format", "yaml"]), 2);
    assert_eq!(code(&["report", &tree("ls2080-mix-t2"), "--vm", "1-1"]), 6);
    assert_eq!(
        code(&[
            "report",
            &tree("ls2080-mix-t2"),
            "--vm",
            "89-9",
            "--vcpu",
            "5"
        ]),
        6
    );
    assert_eq!(
        code(&[
            "top",
            "--once",
            "--interval",
            "0.1",
            "--root",
            &tree("empty"),
            "--vm",
            "1-1"
        ]),
        6
    );
    let o = run(&["report", &tree("ls2080-mix-t2"), "--vm", "1-1"]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no VM '1-1'"),
        "{o:?}"
    );
    // A file in an unknown layout.
    let bad = tmp("bad-tree");
    let _ = std::fs::remove_dir_all(&bad);
    std::fs::create_dir_all(&bad).unwrap();
    let summary = std::fs::read_to_string(trees().join("empty/summary")).unwrap();
    std::fs::write(bad.join("summary"), summary.replacen("0.3.1", "0.9.0", 1)).unwrap();
    let o = run(&["snapshot", "--root", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&o.stderr).contains("layout version 0.9.0 is unknown"));
    assert_eq!(
        code(&["plot", "--root", &tree("ls2080-mix-t2"), "-o", "x.jpg"]),
        2
    );
    assert_eq!(
        code(&[
            "plot",
            "--root",
            &tree("ls2080-mix-t2"),
            "--type",
            "NOPE",
            "-o",
            "x.svg"
        ]),
        2
    );
}

#[test]
fn top_once_fits_80_columns() {
    let out = stdout(&run(&[
        "top",
        "--once",
        "--interval",
        "0.1",
        "--root",
        &tree("ls2080-mix-t2"),
    ]));
    assert!(out.lines().all(|l| l.chars().count() <= 80), "{out}");
    assert!(out.starts_with("kvm-exit-stat top: every VM"), "{out}");
}

#[test]
fn plots_render() {
    for (kind, ext, extra) in [
        ("histogram", "svg", vec![]),
        ("share", "svg", vec![]),
        ("histogram", "png", vec!["--type", "WFX"]),
        ("diff", "svg", vec!["--against", "T2"]),
    ] {
        let out = tmp(&format!("{kind}.{ext}"));
        let mut args = vec![
            "plot",
            "--kind",
            kind,
            "--from",
            "T1",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend(extra);
        let t1 = tree("ls2080-mix-t1");
        let t2 = tree("ls2080-mix-t2");
        let args: Vec<&str> = args
            .into_iter()
            .map(|a| {
                if a == "T1" {
                    t1.as_str()
                } else if a == "T2" {
                    t2.as_str()
                } else {
                    a
                }
            })
            .collect();
        stdout(&run(&args));
        let bytes = std::fs::read(&out).unwrap();
        if ext == "svg" {
            let s = String::from_utf8(bytes).unwrap();
            assert!(s.starts_with("<svg"), "{kind}");
            assert!(s.contains("WFX"), "{kind}: the rows are labelled");
        } else {
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}

#[test]
fn snapshot_of_one_vcpu() {
    let t = tree("ls2080-mix-t2");
    let out = stdout(&run(&[
        "snapshot", "--root", &t, "--vm", "89-9", "--vcpu", "1",
    ]));
    let scopes: Vec<&str> = out.lines().filter(|l| l.starts_with("# scope: ")).collect();
    assert_eq!(scopes, ["# scope: VM 89-9 vCPU 1"], "{out}");
    let j: serde_json::Value = serde_json::from_str(&stdout(&run(&[
        "snapshot", "--root", &t, "--vm", "89-9", "--vcpu", "1", "--format", "json",
    ])))
    .unwrap();
    assert_eq!(j["vms"][0]["vcpus"].as_array().unwrap().len(), 1);
    assert_eq!(j["vms"][0]["vcpus"][0]["id"], 1);
    let csv = stdout(&run(&["snapshot", "--root", &t, "--format", "csv"]));
    // The IPI latency rows of every scope.
    assert_eq!(
        csv.lines()
            .filter(|l| l.contains(",ipi,SGI_TO_RUNNING,"))
            .count(),
        4,
        "{csv}"
    );
}

#[test]
fn record_stops_on_sigterm_with_nothing_lost() {
    let out = tmp("term.jsonl");
    let mut child = bin()
        .args([
            "record",
            "--root",
            &tree("ls2080-mix-t1"),
            "-o",
            out.to_str().unwrap(),
            "--interval",
            "0.05",
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    // The description, the first snapshot, and one at the signal at least.
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.lines().count() >= 3, "{} lines", text.lines().count());
    stdout(&run(&["report", out.to_str().unwrap()]));
}

#[test]
fn a_vm_born_during_the_recording_is_reported_exactly() {
    let rec = recording_of("empty", "ls2080-mix-t2");
    let text = stdout(&run(&["report", rec.to_str().unwrap(), "--vm", "89-9"]));
    assert!(!text.contains('~'), "{text}");
    let wfx = file_row(&trees().join("ls2080-mix-t2/89-9/summary"), "WFX");
    let line = text.lines().find(|l| l.starts_with("WFX ")).unwrap();
    let f: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(&f[1..9], &wfx[1..9], "{line}");
}
