// SPDX-License-Identifier: GPL-2.0

//! `top`: a live view like kvm_stat's, one frame per interval: per exit
//! type of the host, a VM or a vCPU, exits and handling time per second
//! over the interval, the share of handling time, avg and p99. Fits 80
//! columns; `--once` prints one frame to stdout.

use crate::error::{Error, Result};
use crate::interval::{self, Interval, Precision, RowInterval};
use crate::scope::{Scope, ScopeArgs};
use crate::tree::RootArg;
use crate::tree::{self, Snapshot};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: RootArg,
    #[command(flatten)]
    scope: ScopeArgs,
    /// Seconds between frames (decimals allowed, at least 0.1).
    #[arg(long, value_name = "S", default_value = "1")]
    interval: f64,
    /// Print one frame (the next interval) to stdout and exit.
    #[arg(long)]
    once: bool,
    /// Initial sort: time, count, avg or name.
    #[arg(long, value_enum, default_value = "time")]
    sort: Sort,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sort {
    Time,
    Count,
    Avg,
    Name,
}

impl Sort {
    fn next(self) -> Sort {
        match self {
            Sort::Time => Sort::Count,
            Sort::Count => Sort::Avg,
            Sort::Avg => Sort::Name,
            Sort::Name => Sort::Time,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Sort::Time => "time",
            Sort::Count => "count",
            Sort::Avg => "avg",
            Sort::Name => "name",
        }
    }
}

/// What the view shows now.
struct View {
    scope: Scope,
    sort: Sort,
    all_rows: bool,
    paused: bool,
}

pub fn run(a: Args) -> Result<()> {
    if !a.interval.is_finite() || !(0.1..=3600.0).contains(&a.interval) {
        return Err(Error::Usage(format!(
            "--interval {}: must be between 0.1 and 3600 seconds",
            a.interval
        )));
    }
    let interval = Duration::from_secs_f64(a.interval);
    let view = View {
        scope: Scope::of(&a.scope),
        sort: a.sort,
        all_rows: false,
        paused: false,
    };
    let first = tree::read(&a.root.root)?;
    view.scope.table(&first)?;
    if a.once {
        std::thread::sleep(interval);
        let second = tree::read(&a.root.root)?;
        let lines = frame(&[first, second], &view, 80, None)?;
        return crate::commands::write_stdout(&(lines.join("\n") + "\n"));
    }
    live(a, first, interval, view)
}

/// The frame's lines for the interval between the two snapshots.
fn frame(snaps: &[Snapshot], view: &View, width: usize, help: Option<&str>) -> Result<Vec<String>> {
    let now = snaps.last().expect("two snapshots");
    let iv = match view.scope.table_if(&snaps[0]) {
        Some(_) => interval::between(snaps, &view.scope)?,
        None => interval::since_reset(now, &view.scope)?,
    };
    let vcpus: usize = now.vms.iter().map(|v| v.vcpus.len()).sum();
    let mut lines = vec![format!(
        "kvm-exit-stat top: {} | {:.2} s | sort {}{}",
        short_label(&view.scope),
        iv.length_us as f64 / 1e6,
        view.sort.word(),
        if view.paused { " | PAUSED" } else { "" }
    )];
    let exits = iv.exits();
    lines.push(format!(
        "{} VMs, {} vCPUs | {} exits/s, handling {:.1} ms/s | {} at {} Hz",
        now.vms.len(),
        vcpus,
        per_s(exits as u128, &iv) / 100,
        ms_per_s(iv.handling_total(), &iv),
        iv.unit,
        iv.frequency_hz
    ));
    lines.push(help.unwrap_or("").to_owned());
    lines.push(format!(
        "{:<16} {:>10} {:>11} {:>7} {:>10} {:>10}",
        "type", "exits/s", "time ms/s", "time%", "avg us", "p99 us"
    ));
    // TIMEINGUEST and DESCHEDULED are not exits: they go under them.
    let (mut rows, others): (Vec<&RowInterval>, Vec<&RowInterval>) = iv
        .rows
        .iter()
        .filter(|r| view.all_rows || r.count > 0)
        .partition(|r| r.is_exit());
    match view.sort {
        Sort::Time => rows.sort_by(|x, y| y.total.cmp(&x.total).then(x.name.cmp(&y.name))),
        Sort::Count => rows.sort_by(|x, y| y.count.cmp(&x.count).then(x.name.cmp(&y.name))),
        Sort::Avg => rows.sort_by(|x, y| y.avg().cmp(&x.avg()).then(x.name.cmp(&y.name))),
        Sort::Name => rows.sort_by(|x, y| x.name.cmp(&y.name)),
    }
    rows.extend(others);
    for r in rows {
        let rate = per_s(r.count as u128, &iv);
        let share = iv.share(r).map_or("-".to_owned(), |s| format!("{s}%"));
        lines.push(format!(
            "{:<16} {:>10} {:>11.1} {:>7} {:>10} {:>10}",
            r.name,
            format!("{}.{:02}", rate / 100, rate % 100),
            ms_per_s(r.total, &iv),
            share,
            format!("{:.1}", us(r.avg() as u128, &iv)),
            match r.precision {
                Precision::Exact => format!("{:.1}", us(r.p99 as u128, &iv)),
                Precision::Estimated => format!("~{:.1}", us(r.p99 as u128, &iv)),
                Precision::Unknown => "?".to_owned(),
            },
        ));
    }
    for l in &mut lines {
        truncate(l, width);
    }
    Ok(lines)
}

fn short_label(s: &Scope) -> String {
    match s {
        Scope::Host => "every VM".to_owned(),
        Scope::Vm(vm) => format!("VM {vm}"),
        Scope::Vcpu(vm, id) => format!("VM {vm} vCPU {id}"),
    }
}

fn truncate(s: &mut String, width: usize) {
    if let Some((i, _)) = s.char_indices().nth(width) {
        s.truncate(i);
    }
}

/// Per second of the interval, in hundredths.
fn per_s(v: u128, iv: &Interval) -> u128 {
    if iv.length_us == 0 {
        0
    } else {
        v * 100_000_000 / iv.length_us as u128
    }
}

fn ms_per_s(ticks: u128, iv: &Interval) -> f64 {
    if iv.length_us == 0 {
        0.0
    } else {
        iv.seconds(ticks) * 1e3 / (iv.length_us as f64 / 1e6)
    }
}

fn us(ticks: u128, iv: &Interval) -> f64 {
    iv.seconds(ticks) * 1e6
}

const HELP: &str = "q quit  s sort  v next VM  c next vCPU  h host  a all rows  p pause";

/// The next scope when cycling VMs (`v`) or a VM's vCPUs (`c`).
fn next_scope(s: &Scope, snap: &Snapshot, vcpu: bool) -> Scope {
    let vms: Vec<&str> = snap.vms.iter().map(|v| v.name.as_str()).collect();
    match (s, vcpu) {
        (Scope::Host, false) => vms
            .first()
            .map_or(Scope::Host, |v| Scope::Vm(v.to_string())),
        (Scope::Vm(vm) | Scope::Vcpu(vm, _), false) => {
            let i = vms.iter().position(|v| v == vm);
            match i.and_then(|i| vms.get(i + 1)) {
                Some(v) => Scope::Vm(v.to_string()),
                None => Scope::Host,
            }
        }
        (Scope::Host, true) => match snap.vms.first() {
            Some(vm) => vm.vcpus.first().map_or(Scope::Vm(vm.name.clone()), |c| {
                Scope::Vcpu(vm.name.clone(), c.id)
            }),
            None => Scope::Host,
        },
        (Scope::Vm(vm) | Scope::Vcpu(vm, _), true) => {
            let Some(v) = snap.vm(vm) else {
                return Scope::Host;
            };
            let cur = if let Scope::Vcpu(_, id) = s {
                v.vcpus.iter().position(|c| c.id == *id)
            } else {
                None
            };
            let next = cur.map_or(0, |i| i + 1);
            match v.vcpus.get(next) {
                Some(c) => Scope::Vcpu(vm.clone(), c.id),
                None => Scope::Vm(vm.clone()),
            }
        }
    }
}

/// Restores the terminal however the view ends.
struct Terminal(ratatui::DefaultTerminal);

impl Drop for Terminal {
    fn drop(&mut self) {
        ratatui::restore();
    }
}

fn live(a: Args, first: Snapshot, interval: Duration, mut view: View) -> Result<()> {
    use ratatui::style::{Modifier, Style};
    use ratatui::text::{Line, Text};
    use ratatui::widgets::Paragraph;

    let mut term = Terminal(ratatui::try_init().map_err(|e| Error::io("terminal", e))?);
    // The last two snapshots: a key press redraws from them at once.
    let mut pair: Vec<Snapshot> = vec![first];
    let mut next = Instant::now() + interval;
    let mut dirty = true;
    loop {
        if Instant::now() >= next {
            next = Instant::now() + interval;
            if !view.paused {
                let cur = tree::read(&a.root.root)?;
                if pair.len() == 2 {
                    pair.remove(0);
                }
                pair.push(cur);
                dirty = true;
            }
        }
        if dirty {
            dirty = false;
            let now = pair.last().expect("a snapshot");
            // A VM that went away: back to the host view.
            if view.scope.table_if(now).is_none() {
                view.scope = Scope::Host;
            }
            let lines = if pair.len() == 2 {
                frame(&pair, &view, 80, Some(HELP))?
            } else {
                vec![
                    "kvm-exit-stat top: waiting for the first interval...".to_owned(),
                    String::new(),
                    HELP.to_owned(),
                ]
            };
            term.0
                .draw(|f| {
                    let text: Vec<Line> = lines
                        .iter()
                        .enumerate()
                        .map(|(i, l)| {
                            if i == 0 || i == 3 {
                                Line::styled(
                                    l.clone(),
                                    Style::default().add_modifier(Modifier::BOLD),
                                )
                            } else {
                                Line::raw(l.clone())
                            }
                        })
                        .collect();
                    f.render_widget(Paragraph::new(Text::from(text)), f.area());
                })
                .map_err(|e| Error::io("terminal", e))?;
        }
        let wait = next
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(200));
        if !event::poll(wait).map_err(|e| Error::io("terminal", e))? {
            continue;
        }
        match event::read().map_err(|e| Error::io("terminal", e))? {
            Event::Key(k) if k.kind == KeyEventKind::Press => {
                let now = pair.last().expect("a snapshot");
                match k.code {
                    KeyCode::Char('q') | KeyCode::Esc => return Ok(()),
                    KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                        return Ok(())
                    }
                    KeyCode::Char('s') => view.sort = view.sort.next(),
                    KeyCode::Char('v') => view.scope = next_scope(&view.scope, now, false),
                    KeyCode::Char('c') => view.scope = next_scope(&view.scope, now, true),
                    KeyCode::Char('h') => view.scope = Scope::Host,
                    KeyCode::Char('a') => view.all_rows = !view.all_rows,
                    KeyCode::Char('p') | KeyCode::Char(' ') => view.paused = !view.paused,
                    _ => continue,
                }
                dirty = true;
            }
            Event::Resize(..) => dirty = true,
            _ => {}
        }
    }
}
