// SPDX-License-Identifier: GPL-2.0

//! `plot`: SVG or PNG pictures of a recorded interval (or of a tree since
//! its reset): the duration histograms of some exit types on a log scale,
//! the share of handling time per exit type, or two runs' times side by
//! side.

use crate::error::{Error, Result};
use crate::interval::Interval;
use crate::recording;
use crate::scope::{Scope, ScopeArgs};
use kvm_exit_timing_core::shared;
use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::{RangedCoordf64, RangedCoordusize};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Durations of the --type rows (default: the 3 that took most time).
    Histogram,
    /// Share of the handling time per exit type.
    Share,
    /// Handling time per exit type of --from (A) and --against (B).
    Diff,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, value_enum, default_value = "histogram")]
    kind: Kind,
    /// Exit types to draw (histogram), e.g. --type WFX --type HVC64.
    #[arg(long = "type", value_name = "NAME")]
    types: Vec<String>,
    #[command(flatten)]
    scope: ScopeArgs,
    /// A recording (or tree) to plot, instead of the live tables.
    #[arg(long, value_name = "FILE")]
    from: Option<PathBuf>,
    /// The second run, for --kind diff.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
    /// The live (or captured) tree when there is no --from.
    #[arg(long, value_name = "DIR", default_value = crate::tree::DEFAULT_ROOT)]
    root: PathBuf,
    /// The picture: .svg or .png.
    #[arg(short = 'o', long, value_name = "OUT")]
    output: PathBuf,
}

const SIZE: (u32, u32) = (1000, 600);
const FONT: &[u8] = include_bytes!(env!("KVM_EXIT_STAT_FONT"));

pub fn run(a: Args) -> Result<()> {
    let png = match a.output.extension().and_then(|e| e.to_str()) {
        Some("svg") => false,
        Some("png") => true,
        _ => {
            return Err(Error::Usage(format!(
                "{}: the picture must be .svg or .png",
                a.output.display()
            )))
        }
    };
    if a.kind == Kind::Diff && a.against.is_none() {
        return Err(Error::Usage(
            "--kind diff needs --from A and --against B".to_owned(),
        ));
    }
    let scope = Scope::of(&a.scope);
    let from = a.from.clone().unwrap_or_else(|| a.root.clone());
    let iv = load(&from, &scope)?;
    for t in &a.types {
        if !(0..shared::ROWS).any(|i| shared::row_name(i) == t) {
            return Err(Error::Usage(format!(
                "--type {t}: no such exit type (one of WFX, HVC64, SYS64, ...)"
            )));
        }
    }
    let against = a.against.as_ref().map(|p| load(p, &scope)).transpose()?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| Error::Usage("the built-in font does not load".to_owned()))?;
    let result = if png {
        draw_on(
            BitMapBackend::new(&a.output, SIZE).into_drawing_area(),
            &a,
            &iv,
            against.as_ref(),
            &from,
        )
    } else {
        draw_on(
            SVGBackend::new(&a.output, SIZE).into_drawing_area(),
            &a,
            &iv,
            against.as_ref(),
            &from,
        )
    };
    result.map_err(|what| Error::Io {
        path: a.output.clone(),
        err: std::io::Error::other(what),
    })?;
    eprintln!("kvm-exit-stat: wrote {}", a.output.display());
    Ok(())
}

fn draw_on<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    a: &Args,
    iv: &Interval,
    against: Option<&Interval>,
    from: &Path,
) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    match (a.kind, against, a.against.as_deref()) {
        (Kind::Histogram, _, _) => histogram(&root, iv, &a.types, from)?,
        (Kind::Share, _, _) => share(&root, iv, from)?,
        (Kind::Diff, Some(b), Some(pb)) => diff(&root, iv, b, from, pb)?,
        (Kind::Diff, _, _) => return Err("--kind diff needs --against".to_owned()),
    }
    root.present().map_err(|e| e.to_string())
}

fn load(path: &Path, scope: &Scope) -> Result<Interval> {
    let rec = recording::read_any(path)?;
    Ok(super::report::interval_of(&rec, scope)?.0)
}

fn title(iv: &Interval, what: &str, src: &Path) -> String {
    format!(
        "{what}: {} ({}, {:.2} s)",
        iv.scope.label(),
        src.display(),
        iv.length_us as f64 / 1e6
    )
}

/// The rows that took most handling time, longest first.
fn top_rows(iv: &Interval, n: usize) -> Vec<String> {
    let mut rows: Vec<_> = iv
        .rows
        .iter()
        .filter(|r| r.is_exit() && r.count > 0)
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.total));
    rows.into_iter().take(n).map(|r| r.name.clone()).collect()
}

fn histogram<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    iv: &Interval,
    types: &[String],
    src: &Path,
) -> std::result::Result<(), String> {
    let names = if types.is_empty() {
        top_rows(iv, 3)
    } else {
        types.to_vec()
    };
    let us_per_tick = 1e6 / iv.frequency_hz.max(1) as f64;
    // Per type: (bucket's upper bound in us, share of the type's exits in %)
    // at each power of two.
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::MAX, 0f64);
    for name in &names {
        let i = (0..shared::ROWS)
            .find(|&i| shared::row_name(i) == name)
            .expect("checked");
        let h = &iv.histograms[i];
        let n: u64 = h.iter().sum();
        if n == 0 {
            continue;
        }
        let mut pts: Vec<(f64, f64)> = Vec::new();
        let mut acc = 0u64;
        for (b, &c) in h.iter().enumerate() {
            let (_, top) = shared::bucket_bounds(b);
            acc += c;
            if top != u64::MAX && (top + 1).is_power_of_two() && top >= 1 {
                let x = (top + 1) as f64 * us_per_tick;
                pts.push((x, acc as f64 * 100.0 / n as f64));
                acc = 0;
            }
        }
        // Keep the range that holds exits, and one empty point each side.
        let first = pts
            .iter()
            .position(|p| p.1 > 0.0)
            .unwrap_or(0)
            .saturating_sub(1);
        let last = (pts.iter().rposition(|p| p.1 > 0.0).unwrap_or(0) + 1).min(pts.len() - 1);
        let pts = pts[first..=last].to_vec();
        lo = lo.min(pts[0].0);
        hi = hi.max(pts[pts.len() - 1].0);
        series.push((name.clone(), n, pts));
    }
    if series.is_empty() {
        return Err(format!(
            "no exits of {} in the histograms of {}",
            names.join(", "),
            src.display()
        ));
    }
    let ymax = series
        .iter()
        .flat_map(|s| s.2.iter().map(|p| p.1))
        .fold(0.0, f64::max)
        * 1.1;
    let mut chart = ChartBuilder::on(root)
        .caption(title(iv, "Exit durations", src), ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((lo..hi).log_scale(), 0.0..ymax)
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("duration (log scale; each point: the exits up to that bound from the previous power of two)")
        .y_desc("% of the type's exits")
        .x_label_formatter(&|v| format_us(*v))
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, (name, n, pts)) in series.into_iter().enumerate() {
        let color = Palette99::pick(k).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(format!("{name} ({n} exits)"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(|e| e.to_string())?;
    }
    draw_legend(&mut chart)
}

/// The series' legend, boxed, where it hides the least.
fn draw_legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> std::result::Result<(), String> {
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 15))
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())
}

fn format_us(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.0} ms", v / 1000.0)
    } else if v >= 1.0 {
        format!("{v:.0} us")
    } else {
        format!("{v:.2} us")
    }
}

type BarChart<'a, DB> =
    ChartContext<'a, DB, Cartesian2d<RangedCoordf64, SegmentedCoord<RangedCoordusize>>>;

/// A chart of horizontal bars, one row per label (top to bottom as
/// given), values from 0 to `max` along x.
fn bar_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    caption: &str,
    x_desc: &str,
    labels: &[String],
    max: f64,
) -> std::result::Result<BarChart<'a, DB>, String> {
    let n = labels.len();
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..max, (0..n).into_segmented())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .x_desc(x_desc)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_labels(n)
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(|e| e.to_string())?;
    Ok(chart)
}

fn share<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    iv: &Interval,
    src: &Path,
) -> std::result::Result<(), String> {
    let names = top_rows(iv, 12);
    if names.is_empty() {
        return Err(format!("no exits in {}", src.display()));
    }
    let shares: Vec<(String, f64)> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                iv.share(iv.row(n).expect("a row"))
                    .map_or(0.0, |s| s.0 as f64 / 100.0),
            )
        })
        .collect();
    let max = shares.iter().map(|s| s.1).fold(0.0, f64::max).max(1.0) * 1.15;
    let labels: Vec<String> = shares.iter().map(|s| s.0.clone()).collect();
    let x_desc = format!(
        "% of {:.3} s spent handling exits",
        iv.seconds(iv.handling_total())
    );
    let mut chart = bar_chart(
        root,
        &title(iv, "Share of exit handling time", src),
        &x_desc,
        &labels,
        max,
    )?;
    chart
        .draw_series(shares.iter().enumerate().map(|(i, (_, v))| {
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (*v, SegmentValue::Exact(i + 1)),
                ],
                Palette99::pick(i).filled(),
            );
            bar.set_margin(4, 4, 0, 0);
            bar
        }))
        .map_err(|e| e.to_string())?;
    chart
        .draw_series(shares.iter().enumerate().map(|(i, (_, v))| {
            Text::new(
                format!("{v:.2}%"),
                (*v + max * 0.01, SegmentValue::CenterOf(i)),
                ("sans-serif", 14),
            )
        }))
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn diff<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    a: &Interval,
    b: &Interval,
    pa: &Path,
    pb: &Path,
) -> std::result::Result<(), String> {
    let mut names = top_rows(a, 8);
    for n in top_rows(b, 8) {
        if !names.contains(&n) {
            names.push(n);
        }
    }
    if names.is_empty() {
        return Err("no exits in either run".to_owned());
    }
    let ms = |iv: &Interval, n: &str| iv.seconds(iv.row(n).map_or(0, |r| r.total)) * 1e3;
    let max = names
        .iter()
        .map(|n| ms(a, n).max(ms(b, n)))
        .fold(0.0, f64::max)
        .max(1e-3)
        * 1.2;
    let caption = format!(
        "Exit handling time: A {} vs B {}",
        pa.display(),
        pb.display()
    );
    let x_desc = "milliseconds handling exits in each run (B/A at the bars' end)";
    let mut chart = bar_chart(root, &caption, x_desc, &names, max)?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    for (k, (iv, color, tag)) in [(a, blue, "A"), (b, orange, "B")].into_iter().enumerate() {
        chart
            .draw_series(names.iter().enumerate().map(|(i, name)| {
                let v = ms(iv, name);
                let mut bar = Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (v, SegmentValue::Exact(i + 1)),
                    ],
                    color.filled(),
                );
                // A's bar in the upper half of the row, B's in the lower.
                if k == 0 {
                    bar.set_margin(3, 17, 0, 0);
                } else {
                    bar.set_margin(17, 3, 0, 0);
                }
                bar
            }))
            .map_err(|e| e.to_string())?
            .label(format!("{tag}: {}", iv.scope.label()))
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 15, y + 5)], color.filled()));
    }
    chart
        .draw_series(names.iter().enumerate().map(|(i, name)| {
            let r = crate::commands::diff::ratio(
                a.row(name).map_or(0, |r| r.total),
                b.row(name).map_or(0, |r| r.total),
            );
            let v = ms(a, name).max(ms(b, name));
            Text::new(
                format!("B/A {r}"),
                (v + max * 0.01, SegmentValue::CenterOf(i)),
                ("sans-serif", 13),
            )
        }))
        .map_err(|e| e.to_string())?;
    draw_legend(&mut chart)
}
