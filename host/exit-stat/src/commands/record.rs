// SPDX-License-Identifier: GPL-2.0

//! `record`: snapshots of every table at intervals into a recording
//! (recording.rs), until the command given exits, --duration passes, or
//! SIGINT / SIGTERM.

use crate::error::{Error, Result};
use crate::recording::{self, Writer};
use crate::tree;
use crate::tree::RootArg;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    root: RootArg,
    /// The recording to write (replaced if it exists).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    /// Seconds between snapshots (decimals allowed, at least 0.01).
    #[arg(long, value_name = "S", default_value = "1")]
    interval: f64,
    /// Stop after this many seconds.
    #[arg(long, value_name = "S")]
    duration: Option<f64>,
    /// A command to run and record: recording ends when it exits, and
    /// kvm-exit-stat exits with its status.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn seconds(what: &str, s: f64, min: f64) -> Result<Duration> {
    if !s.is_finite() || s < min || s > 1e7 {
        return Err(Error::Usage(format!(
            "--{what} {s}: must be between {min} and 10000000 seconds"
        )));
    }
    Ok(Duration::from_secs_f64(s))
}

pub fn run(a: Args) -> Result<()> {
    let interval = seconds("interval", a.interval, 0.01)?;
    let duration = a
        .duration
        .map(|d| seconds("duration", d, 0.0))
        .transpose()?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| Error::io("signal handler", e))?;
    }
    let first = tree::read(&a.root.root)?;
    let desc = recording::describe(&first, interval.as_millis() as u64, a.command.clone());
    let mut w = Writer::create(&a.output, &desc)?;
    w.snapshot(&first)?;
    let mut taken = 1u64;
    let start = Instant::now();
    let mut child = match a.command.split_first() {
        None => None,
        Some((prog, args)) => Some(
            std::process::Command::new(prog)
                .args(args)
                .spawn()
                .map_err(|e| Error::Usage(format!("cannot run '{prog}': {e}")))?,
        ),
    };
    eprintln!(
        "kvm-exit-stat: recording {} into {} every {:.2} s{}",
        a.root.root.display(),
        a.output.display(),
        interval.as_secs_f64(),
        match (&child, duration) {
            (Some(_), _) => format!(" while '{}' runs", a.command.join(" ")),
            (None, Some(d)) => format!(" for {:.2} s", d.as_secs_f64()),
            (None, None) => ", until interrupted (Ctrl-C)".to_owned(),
        }
    );
    let mut status = None;
    let mut next = start + interval;
    loop {
        // Sleep in short steps so that a signal or the command's exit
        // ends the recording at once.
        while Instant::now() < next {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            if let Some(c) = child.as_mut() {
                if let Some(s) = c.try_wait().map_err(|e| Error::io("child", e))? {
                    status = Some(s);
                    break;
                }
            }
            if duration.is_some_and(|d| start.elapsed() >= d) {
                break;
            }
            std::thread::sleep(
                Duration::from_millis(10).min(next.saturating_duration_since(Instant::now())),
            );
        }
        let done = stop.load(Ordering::Relaxed)
            || status.is_some()
            || duration.is_some_and(|d| start.elapsed() >= d);
        match tree::read(&a.root.root) {
            Ok(s) => {
                w.snapshot(&s)?;
                taken += 1;
            }
            // The module was unloaded: what was recorded stays.
            Err(e @ (Error::ModuleNotLoaded(_) | Error::NoRoot(_))) => {
                eprintln!("kvm-exit-stat: {e}; recording ends");
                break;
            }
            Err(e) => return Err(e),
        }
        if done {
            break;
        }
        next += interval;
        let now = Instant::now();
        if next < now {
            // Reading took longer than the interval: skip, do not burst.
            next = now + interval;
        }
    }
    if let Some(mut c) = child {
        if status.is_none() {
            status = Some(c.wait().map_err(|e| Error::io("child", e))?);
        }
    }
    eprintln!(
        "kvm-exit-stat: {taken} snapshots over {:.2} s in {}",
        start.elapsed().as_secs_f64(),
        a.output.display()
    );
    match status.map(|s| s.code()) {
        Some(Some(0)) | None => Ok(()),
        Some(code) => Err(Error::Child(code)),
    }
}
