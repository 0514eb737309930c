// SPDX-License-Identifier: GPL-2.0

//! The text of the debugfs files: exit tables, histograms, control.
//!
//! The layout is ABI (Documentation/kvm-exit-timing.rst): header lines
//! start with `# ` and read `key: value`; then a table has one line of
//! column names and one line per exit type, in `ExitType::ALL` order,
//! empty rows included, with columns separated by spaces.

use super::breakdown::SWITCHES;
use super::el2::El2Counts;
use super::exit_type::ExitType;
use super::histogram::{bucket_bounds, percentiles, BUCKETS, P50, P90, P99, P999};
use super::row::RowStats;
use super::version::VERSION;
use super::wide::{Dec, Fixed, U256};
use core::fmt::{self, Display, Write};

/// The clock durations are measured in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    /// What the clock is, for people.
    pub(crate) name: &'static str,
    /// What it counts: `ticks` or `cycles`.
    pub(crate) unit: &'static str,
    /// Units per second.
    pub(crate) hz: u64,
    /// Where `hz` comes from.
    pub(crate) source: &'static str,
    /// The generic counter's frequency: intervals and rates per second
    /// are in wall-clock time, on the counter, whatever the clock.
    pub(crate) counter_hz: u64,
}

impl Clock {
    /// Whether it is the generic counter itself.
    fn is_counter(&self) -> bool {
        self.unit == "ticks"
    }
}

/// What a file covers, for its header lines.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope<'a> {
    /// One vCPU of one VM.
    Vcpu { vm: &'a str, vcpu: u32 },
    /// The vCPUs of one VM, aggregated.
    Vm { vm: &'a str, vcpus: u64 },
    /// Every VM since the last reset, live and destroyed.
    All {
        live_vms: u64,
        destroyed_vms: u64,
        vcpus: u64,
    },
}

/// The header of a table or histogram file.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Header<'a> {
    /// `stats`, `histogram` or `summary`.
    pub(crate) kind: &'a str,
    pub(crate) scope: Scope<'a>,
    pub(crate) clock: Clock,
    /// Ticks of the generic counter since the last reset of what the
    /// file covers.
    pub(crate) interval: u64,
}

/// Exits forwarded to user space and not over yet, by row: each is
/// counted in its row once its vCPU enters the guest again (see
/// `VcpuRecorder::forwarded`). KVM counts them already.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Forwarded {
    counts: [u32; ExitType::COUNT],
}

impl Forwarded {
    /// Adds a vCPU's forwarded exit, if it has one.
    pub(crate) fn add(&mut self, row: Option<ExitType>) {
        if let Some(t) = row {
            self.counts[t as usize] = self.counts[t as usize].saturating_add(1);
        }
    }

    /// `# forwarded: N`, then the rows, `(DABT_IO_USER 1, HVC64 1)`.
    fn write(&self, w: &mut impl Write) -> fmt::Result {
        let total = self.counts.iter().fold(0u64, |n, &c| n + u64::from(c));
        write!(w, "# forwarded: {total}")?;
        let mut sep = " (";
        for (t, &c) in ExitType::ALL.iter().zip(&self.counts) {
            if c != 0 {
                write!(w, "{sep}{} {c}", t.name())?;
                sep = ", ";
            }
        }
        if total != 0 {
            w.write_str(")")?;
        }
        writeln!(w)
    }
}

/// One row's statistics and percentiles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowSummary {
    pub(crate) stats: RowStats,
    pub(crate) p50: u64,
    pub(crate) p90: u64,
    pub(crate) p99: u64,
    pub(crate) p999: u64,
}

impl RowSummary {
    pub(crate) fn new(stats: RowStats, buckets: &[u64; BUCKETS]) -> RowSummary {
        let [p50, p90, p99, p999] =
            percentiles(buckets, stats.count, [P50, P90, P99, P999], stats.max);
        RowSummary {
            stats,
            p50,
            p90,
            p99,
            p999,
        }
    }
}

pub(crate) fn write_header(w: &mut impl Write, h: &Header<'_>) -> fmt::Result {
    writeln!(w, "# kvm_exit_timing {VERSION} {}", h.kind)?;
    match h.scope {
        Scope::Vcpu { vm, vcpu } => {
            writeln!(w, "# vm: {vm}")?;
            writeln!(w, "# vcpu: {vcpu}")?;
        }
        Scope::Vm { vm, vcpus } => {
            writeln!(w, "# vm: {vm}")?;
            writeln!(w, "# vcpus: {vcpus}")?;
        }
        Scope::All {
            live_vms,
            destroyed_vms,
            vcpus,
        } => {
            writeln!(
                w,
                "# vms: {} ({live_vms} live, {destroyed_vms} destroyed)",
                live_vms + destroyed_vms
            )?;
            writeln!(w, "# vcpus: {vcpus}")?;
        }
    }
    write_clock(w, &h.clock, "# ")?;
    writeln!(
        w,
        "# interval: {} s since reset ({} ticks{})",
        Fixed::ratio(h.interval as u128, h.clock.counter_hz as u128, 6),
        h.interval,
        if h.clock.is_counter() {
            ""
        } else {
            " of the generic counter"
        }
    )
}

/// The clock's lines, each starting with `prefix`.
fn write_clock(w: &mut impl Write, c: &Clock, prefix: &str) -> fmt::Result {
    writeln!(w, "{prefix}clock: {}", c.name)?;
    writeln!(w, "{prefix}unit: {}", c.unit)?;
    if c.is_counter() {
        writeln!(w, "{prefix}frequency: {} Hz", c.hz)
    } else {
        writeln!(w, "{prefix}frequency: {} Hz ({})", c.hz, c.source)?;
        writeln!(
            w,
            "{prefix}note: cycles are not time where the CPU frequency varies; \
             they count host, hypervisor and guest alike"
        )
    }
}

/// Rates per second over the interval since reset.
pub(crate) fn per_second(amount: u128, h: &Header<'_>) -> Fixed {
    Fixed::ratio_wide(
        U256::mul_u128(amount, h.clock.counter_hz as u128),
        h.interval as u128,
        2,
    )
}

pub(crate) const COLUMNS: [&str; 11] = [
    "type", "count", "min", "max", "avg", "total", "stddev", "p50", "p99", "count/s", "total/s",
];

/// Calls `cell(column, value)` for each cell of row `t`.
fn row_cells(
    t: ExitType,
    r: &RowSummary,
    h: &Header<'_>,
    mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result,
) -> fmt::Result {
    cell(0, &t.name())?;
    stats_cells(r, h, 1, cell)
}

/// Calls `cell(column, value)` for the statistics columns of `r`, from
/// `count` to `total/s`, numbered from `first`: the exit tables', and
/// those of the breakdown and ipi files after their key columns.
pub(crate) fn stats_cells(
    r: &RowSummary,
    h: &Header<'_>,
    first: usize,
    mut cell: impl FnMut(usize, &dyn Display) -> fmt::Result,
) -> fmt::Result {
    let s = &r.stats;
    cell(first, &s.count)?;
    cell(first + 1, &s.min)?;
    cell(first + 2, &s.max)?;
    cell(first + 3, &s.avg())?;
    cell(first + 4, &Dec(s.total))?;
    cell(first + 5, &s.stddev())?;
    cell(first + 6, &r.p50)?;
    cell(first + 7, &r.p99)?;
    cell(first + 8, &per_second(s.count as u128, h))?;
    cell(first + 9, &per_second(s.total, h))
}

/// The exit table: one row per exit type, columns aligned; then the
/// section of the traps handled at EL2, `el2`.
pub(crate) fn write_stats(
    w: &mut impl Write,
    h: &Header<'_>,
    rows: &[RowSummary; ExitType::COUNT],
    forwarded: &Forwarded,
    el2: &El2Counts,
) -> fmt::Result {
    let mut widths = COLUMNS.map(str::len);
    for (t, r) in ExitType::ALL.iter().zip(rows) {
        row_cells(*t, r, h, |c, v| {
            widths[c] = widths[c].max(display_len(v));
            Ok(())
        })?;
    }
    write_header(w, h)?;
    let exits = ExitType::ALL
        .iter()
        .zip(rows)
        .filter(|(t, _)| t.is_exit())
        .fold(0u64, |n, (_, r)| n.saturating_add(r.stats.count));
    writeln!(w, "# exits: {exits}")?;
    forwarded.write(w)?;
    for (c, name) in COLUMNS.iter().enumerate() {
        write_cell(w, c, name, widths[c])?;
    }
    writeln!(w)?;
    for (t, r) in ExitType::ALL.iter().zip(rows) {
        row_cells(*t, r, h, |c, v| write_cell(w, c, v, widths[c]))?;
        writeln!(w)?;
    }
    let to_host = ExitType::ALL
        .iter()
        .zip(rows)
        .filter(|(t, _)| t.is_trap())
        .fold(0u64, |n, (_, r)| n.saturating_add(r.stats.count));
    super::el2_section::write(w, h, el2, to_host)
}

/// First column left-aligned, the rest right-aligned, two spaces apart.
pub(crate) fn write_cell(
    w: &mut impl Write,
    column: usize,
    v: &dyn Display,
    width: usize,
) -> fmt::Result {
    if column == 0 {
        write!(w, "{v:<width$}")
    } else {
        write!(w, "  {v:>width$}")
    }
}

/// The histogram file: per exit type, a `percentiles` line, then one
/// `bucket` line per non-empty bucket. `read` fills a row's buckets and
/// returns its statistics.
pub(crate) fn write_histogram(
    w: &mut impl Write,
    h: &Header<'_>,
    buckets: &mut [u64; BUCKETS],
    mut read: impl FnMut(ExitType, &mut [u64; BUCKETS]) -> RowStats,
) -> fmt::Result {
    write_header(w, h)?;
    writeln!(w, "# percentiles <type> <count> <p50> <p90> <p99> <p99.9>")?;
    writeln!(
        w,
        "# bucket <type> <lowest> <highest> <count>   (non-empty buckets, bounds inclusive)"
    )?;
    for t in ExitType::ALL {
        let stats = read(t, buckets);
        let r = RowSummary::new(stats, buckets);
        writeln!(
            w,
            "percentiles {} {} {} {} {} {}",
            t.name(),
            stats.count,
            r.p50,
            r.p90,
            r.p99,
            r.p999
        )?;
        for (i, &c) in buckets.iter().enumerate() {
            if c != 0 {
                let (lo, hi) = bucket_bounds(i);
                writeln!(w, "bucket {} {lo} {hi} {c}", t.name())?;
            }
        }
    }
    Ok(())
}

/// What the control file shows.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Status {
    pub(crate) enabled: bool,
    /// The breakdowns on: a set of `Breakdown::bit`s.
    pub(crate) breakdowns: u8,
    /// Whether the PMU cycle counter is held, and where.
    pub(crate) cycle_counter: Option<Ownership>,
    pub(crate) live_vms: u64,
    pub(crate) vcpus: u64,
    /// Per-vCPU states allocated and waiting for a vCPU.
    pub(crate) pool: u64,
    /// Events lost because a vCPU had no state (allocation failed).
    pub(crate) dropped_no_state: u64,
    /// Events out of order, whose interval was dropped.
    pub(crate) dropped_unpaired: u64,
    pub(crate) alloc_failures: u64,
    pub(crate) debugfs_failures: u64,
    pub(crate) memory: Memory,
}

/// On how many CPUs the module owns the PMU cycle counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ownership {
    pub(crate) owned: u32,
    pub(crate) online: u32,
}

/// Bytes the module holds, as the allocators round them.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Memory {
    pub(crate) total: u64,
    /// What each vCPU's timing takes (its statistics and histograms).
    pub(crate) per_vcpu: u64,
    /// What each VM takes besides its vCPUs.
    pub(crate) per_vm: u64,
}

pub(crate) fn write_control(w: &mut impl Write, s: &Status, clock: &Clock) -> fmt::Result {
    writeln!(w, "# kvm_exit_timing {VERSION} control")?;
    writeln!(
        w,
        "# write: reset | enable | disable | clock counter | clock cycles | breakdown NAME on | breakdown NAME off"
    )?;
    writeln!(
        w,
        "state: {}",
        if s.enabled { "enabled" } else { "disabled" }
    )?;
    write!(w, "breakdowns:")?;
    for (name, bit) in SWITCHES {
        let on = if s.breakdowns & bit != 0 { "on" } else { "off" };
        write!(w, " {name} {on}")?;
    }
    writeln!(w)?;
    write_clock(w, clock, "")?;
    match s.cycle_counter {
        None => writeln!(w, "cycle_counter: not in use")?,
        Some(o) => writeln!(
            w,
            "cycle_counter: owned on {} of {} CPUs{}",
            o.owned,
            o.online,
            if o.owned == o.online {
                ""
            } else {
                " (the others' counts are not ours)"
            }
        )?,
    }
    writeln!(w, "vms: {}", s.live_vms)?;
    writeln!(w, "vcpus: {}", s.vcpus)?;
    writeln!(w, "pool: {}", s.pool)?;
    writeln!(w, "dropped_no_state: {}", s.dropped_no_state)?;
    writeln!(w, "dropped_unpaired: {}", s.dropped_unpaired)?;
    writeln!(w, "alloc_failures: {}", s.alloc_failures)?;
    writeln!(w, "debugfs_failures: {}", s.debugfs_failures)?;
    writeln!(w, "memory: {} bytes", s.memory.total)?;
    writeln!(w, "memory_per_vcpu: {} bytes", s.memory.per_vcpu)?;
    writeln!(w, "memory_per_vm: {} bytes", s.memory.per_vm)
}

/// How many bytes `v` displays as.
pub(crate) fn display_len(v: &dyn Display) -> usize {
    struct Count(usize);
    impl Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut n = Count(0);
    let _ = write!(n, "{v}");
    n.0
}
