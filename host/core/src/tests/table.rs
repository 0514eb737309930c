// SPDX-License-Identifier: GPL-2.0

//! The text of the debugfs files: layout rules tools rely on.

use super::{new_recorder, TEST_COUNTER as CLOCK};
use crate::pure::classify::{ARM_EXCEPTION_IRQ, ARM_EXCEPTION_TRAP};
use crate::pure::el2::{El2Counts, El2Row};
use crate::pure::exit_type::ExitType;
use crate::pure::histogram::BUCKETS;
use crate::pure::table::*;
use std::string::String;
use std::vec::Vec;

const CYCLES: Clock = Clock {
    name: "test cycles",
    unit: "cycles",
    hz: 16000,
    source: "calibrated",
    counter_hz: 1000,
};

fn header(kind: &'static str) -> Header<'static> {
    Header {
        kind,
        scope: Scope::Vcpu {
            vm: "1234-11",
            vcpu: 2,
        },
        clock: CLOCK,
        interval: 4000,
    }
}

/// The stats file of `sample()` under header `h`, with `forwarded` exits
/// and EL2 counts `el2`.
fn stats_text(h: &Header<'_>, forwarded: &Forwarded, el2: &El2Counts) -> String {
    let mut out = String::new();
    write_stats(&mut out, h, &sample(), forwarded, el2).unwrap();
    out
}

/// A vCPU that made 3 HVC64 exits of 10, 20 and 60 ticks.
fn sample() -> [RowSummary; ExitType::COUNT] {
    let r = new_recorder();
    let mut now = 0;
    for d in [10, 20, 60] {
        r.on_exit(now, now + 100, ARM_EXCEPTION_TRAP, 0x16 << 26);
        now += 100 + d;
    }
    r.on_exit(now, now + 1, ARM_EXCEPTION_IRQ, 0);
    let mut b = [0u64; BUCKETS];
    ExitType::ALL.map(|t| {
        let s = r.read_row(t, &mut b);
        RowSummary::new(s, &b)
    })
}

#[test]
fn stats_table_layout() {
    let out = stats_text(
        &header("stats"),
        &Forwarded::default(),
        &El2Counts::default(),
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "# kvm_exit_timing 0.3.1 stats");
    assert_eq!(lines[1], "# vm: 1234-11");
    assert_eq!(lines[2], "# vcpu: 2");
    assert_eq!(lines[3], "# clock: test counter");
    assert_eq!(lines[4], "# unit: ticks");
    assert_eq!(lines[5], "# frequency: 1000 Hz");
    assert_eq!(lines[6], "# interval: 4.000000 s since reset (4000 ticks)");
    // The three HVC64 exits: the INTERRUPT one is still pending.
    assert_eq!(lines[7], "# exits: 3");
    assert_eq!(lines[8], "# forwarded: 0");
    let table = &lines[9..10 + ExitType::COUNT];
    // Then the EL2 section.
    assert_eq!(lines.len(), 10 + ExitType::COUNT + 4 + El2Row::COUNT);
    let names: Vec<&str> = table[0].split_whitespace().collect();
    assert_eq!(
        names,
        [
            "type", "count", "min", "max", "avg", "total", "stddev", "p50", "p99", "count/s",
            "total/s"
        ]
    );
    // Aligned: every line has the same length, rows in ABI order.
    for (line, t) in table[1..].iter().zip(ExitType::ALL) {
        assert_eq!(line.len(), table[0].len(), "{line}");
        let cells: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(cells.len(), 11);
        assert_eq!(cells[0], t.name());
    }
    let hvc: Vec<&str> = table[1 + ExitType::Hvc64 as usize]
        .split_whitespace()
        .collect();
    // count min max avg total stddev p50 p99 count/s total/s
    assert_eq!(
        hvc[1..],
        ["3", "10", "60", "30", "90", "21", "21", "60", "0.75", "22.50"]
    );
    let wfx: Vec<&str> = table[1].split_whitespace().collect();
    assert_eq!(
        wfx[1..],
        ["0", "0", "0", "0", "0", "0", "0", "0", "0.00", "0.00"]
    );
    let tig: Vec<&str> = table[1 + ExitType::TimeInGuest as usize]
        .split_whitespace()
        .collect();
    // A guest run is recorded with the exit that ends it: the last is pending.
    assert_eq!(tig[1..4], ["3", "100", "100"]);
}

#[test]
fn forwarded_exits_are_said_by_row() {
    let mut f = Forwarded::default();
    f.add(None);
    f.add(Some(ExitType::DabtIoUser));
    f.add(Some(ExitType::Hvc64));
    f.add(Some(ExitType::DabtIoUser));
    let out = stats_text(&header("stats"), &f, &El2Counts::default());
    assert!(
        out.contains("\n# exits: 3\n# forwarded: 3 (HVC64 1, DABT_IO_USER 2)\n"),
        "{out}"
    );
}

#[test]
fn el2_section_layout() {
    let mut el2 = El2Counts::default();
    el2.0[El2Row::Sys64 as usize] = 1;
    el2.0[El2Row::FpAsimd as usize] = 4;
    let out = stats_text(&header("stats"), &Forwarded::default(), &el2);
    let lines: Vec<&str> = out.lines().collect();
    let section = &lines[10 + ExitType::COUNT..];
    assert_eq!(section[0], "");
    assert_eq!(
        section[1],
        "# el2: traps handled at EL2, which re-entered the guest (counted, not timed)"
    );
    // The 3 HVC64 traps reached the host (the pending INTERRUPT is not a
    // trap), 5 did not.
    assert_eq!(section[2], "# traps: 8 (3 to the host, 5 at EL2)");
    let names: Vec<&str> = section[3].split_whitespace().collect();
    assert_eq!(names, ["type", "count", "share", "count/s"]);
    for (line, r) in section[4..].iter().zip(El2Row::ALL) {
        assert_eq!(line.len(), section[3].len(), "{line}");
        assert_eq!(line.split_whitespace().next(), Some(r.name()));
    }
    let row =
        |r: El2Row| -> Vec<&str> { section[4 + r as usize].split_whitespace().skip(1).collect() };
    assert_eq!(row(El2Row::Sys64), ["1", "12.50%", "0.25"]);
    assert_eq!(row(El2Row::FpAsimd), ["4", "50.00%", "1.00"]);
    assert_eq!(row(El2Row::Other), ["0", "0.00%", "0.00"]);
}

#[test]
fn el2_counts_fold_classes_and_subtract_a_base() {
    let mut by_class = [0u64; crate::pure::el2::CLASSES];
    by_class[0x18] = 7; // SYS64
    by_class[0x07] = 2; // FP_ASIMD
    by_class[0x27] = 1; // MOPS
    by_class[0x3f] = 3; // no EL2 handler in 6.12: OTHER
    let c = El2Counts::from_classes(&by_class);
    assert_eq!(c.get(El2Row::Sys64), 7);
    assert_eq!(c.get(El2Row::FpAsimd), 2);
    assert_eq!(c.get(El2Row::Mops), 1);
    assert_eq!(c.get(El2Row::Other), 3);
    assert_eq!(c.total(), 13);
    let mut base = El2Counts::default();
    base.0[El2Row::Sys64 as usize] = 5;
    assert_eq!(c.since(&base).get(El2Row::Sys64), 2);
    assert_eq!(c.since(&c), El2Counts::default());
}

#[test]
fn aggregated_scopes_say_what_they_cover() {
    let mut h = header("summary");
    h.scope = Scope::All {
        live_vms: 2,
        destroyed_vms: 3,
        vcpus: 7,
    };
    let out = stats_text(&h, &Forwarded::default(), &El2Counts::default());
    assert!(out.starts_with(
        "# kvm_exit_timing 0.3.1 summary\n# vms: 5 (2 live, 3 destroyed)\n# vcpus: 7\n"
    ));
    h.scope = Scope::Vm {
        vm: "9-12",
        vcpus: 4,
    };
    h.interval = 0;
    let out = stats_text(&h, &Forwarded::default(), &El2Counts::default());
    assert!(out.contains("# vm: 9-12\n# vcpus: 4\n"));
    assert!(out.contains("# interval: 0.000000 s since reset (0 ticks)\n"));
}

#[test]
fn histogram_file_layout() {
    let rows = sample();
    let r = new_recorder();
    for (i, d) in [10u64, 20, 60].iter().enumerate() {
        let t = i as u64 * 1000;
        r.on_exit(t, t + 100, ARM_EXCEPTION_TRAP, 0x16 << 26);
        // The next guest run, whose entry at t + 100 + d ends the exit.
        r.on_exit(t + 100 + d, t + 200 + d, ARM_EXCEPTION_IRQ, 0);
        r.stop();
    }
    let mut out = String::new();
    let mut b = [0u64; BUCKETS];
    write_histogram(&mut out, &header("histogram"), &mut b, |t, b| {
        r.read_row(t, b)
    })
    .unwrap();
    let records: Vec<Vec<&str>> = out
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let percentiles: Vec<_> = records.iter().filter(|r| r[0] == "percentiles").collect();
    assert_eq!(percentiles.len(), ExitType::COUNT);
    assert_eq!(
        *percentiles[ExitType::Hvc64 as usize],
        ["percentiles", "HVC64", "3", "21", "60", "60", "60"]
    );
    assert_eq!(rows[ExitType::Hvc64 as usize].p90, 60);
    let buckets: Vec<_> = records.iter().filter(|r| r[0] == "bucket").collect();
    let hvc: Vec<_> = buckets
        .iter()
        .filter(|r| r[1] == "HVC64")
        .map(|r| (r[2], r[3], r[4]))
        .collect();
    assert_eq!(
        hvc,
        [("10", "10", "1"), ("20", "21", "1"), ("60", "63", "1")]
    );
    assert_eq!(records.len(), percentiles.len() + buckets.len());
}

#[test]
fn control_file() {
    let mut out = String::new();
    let status = Status {
        enabled: true,
        breakdowns: 0b101,
        live_vms: 1,
        vcpus: 2,
        pool: 8,
        dropped_no_state: 3,
        memory: Memory {
            total: 300,
            per_vcpu: 100,
            per_vm: 50,
        },
        ..Default::default()
    };
    write_control(&mut out, &status, &CLOCK).unwrap();
    assert_eq!(
        out,
        "# kvm_exit_timing 0.3.1 control\n\
         # write: reset | enable | disable | clock counter | clock cycles | breakdown NAME on | breakdown NAME off\n\
         state: enabled\nbreakdowns: sysregs on hypercalls off wfx on mmio off interrupts off ipi off\n\
         clock: test counter\nunit: ticks\nfrequency: 1000 Hz\ncycle_counter: not in use\nvms: 1\nvcpus: 2\npool: 8\n\
         dropped_no_state: 3\ndropped_unpaired: 0\nalloc_failures: 0\ndebugfs_failures: 0\n\
         memory: 300 bytes\nmemory_per_vcpu: 100 bytes\nmemory_per_vm: 50 bytes\n"
    );
}

#[test]
fn a_cycles_table_says_so_and_keeps_wall_clock_rates() {
    let mut h = header("stats");
    h.clock = CYCLES;
    let out = stats_text(&h, &Forwarded::default(), &El2Counts::default());
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[3], "# clock: test cycles");
    assert_eq!(lines[4], "# unit: cycles");
    assert_eq!(lines[5], "# frequency: 16000 Hz (calibrated)");
    assert!(
        lines[6].starts_with("# note: cycles are not time"),
        "{}",
        lines[6]
    );
    assert_eq!(
        lines[7],
        "# interval: 4.000000 s since reset (4000 ticks of the generic counter)"
    );
    // 3 exits in 4 s of wall-clock time, whatever the unit of durations.
    let hvc: Vec<&str> = lines
        .iter()
        .find(|l| l.starts_with("HVC64 "))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(hvc[9], "0.75");
    assert_eq!(hvc[10], "22.50");
}

#[test]
fn control_shows_who_owns_the_cycle_counter() {
    let status = Status {
        cycle_counter: Some(Ownership {
            owned: 1,
            online: 2,
        }),
        ..Default::default()
    };
    let mut out = String::new();
    write_control(&mut out, &status, &CYCLES).unwrap();
    assert!(out.contains("\nunit: cycles\nfrequency: 16000 Hz (calibrated)\nnote: "));
    assert!(
        out.contains("\ncycle_counter: owned on 1 of 2 CPUs (the others' counts are not ours)\n")
    );
}
