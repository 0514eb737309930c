// SPDX-License-Identifier: GPL-2.0

//! kvm-exit-stat: the kvm_exit_timing module's tables on the command line.
//! A live view (`top`), one reading (`snapshot`), recordings and reports
//! on them (`record`, `report`, `diff`), exports and plots.

mod commands;
mod error;
mod export;
mod interval;
mod layout;
mod recording;
mod scope;
mod seed_table;
mod tree;

#[cfg(test)]
mod tests;

use clap::{Parser, Subcommand};
use error::code;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kvm-exit-stat", version, about = "KVM/arm64 exit timing: live view, recordings, reports, diffs, exports and plots of kvm_exit_timing's tables", after_help = EXIT_CODES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_CODES: &str = "Exit status: 0 ok, 1 an I/O error, 2 a bad command line, 3 no tables (debugfs not mounted, module not loaded, no such --root), 4 permission denied (not root), 5 a file that does not parse or has an unknown layout version, 6 no such VM or vCPU.";

#[derive(Subcommand)]
enum Command {
    /// A live, refreshing view of exit rates and times, like kvm_stat.
    Top(commands::top::Args),
    /// Every table now, once.
    Snapshot(commands::snapshot::Args),
    /// Snapshots of every table at intervals, into a JSON lines file.
    Record(commands::record::Args),
    /// The exit table of a recorded interval (deltas, not totals).
    Report(commands::report::Args),
    /// Two recordings (or trees) side by side, with B/A ratios.
    Diff(commands::diff::Args),
    /// An SVG or PNG picture: histograms, time shares, or a diff.
    Plot(commands::plot::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { code::USAGE } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Top(a) => commands::top::run(a),
        Command::Snapshot(a) => commands::snapshot::run(a),
        Command::Record(a) => commands::record::run(a),
        Command::Report(a) => commands::report::run(a),
        Command::Diff(a) => commands::diff::run(a),
        Command::Plot(a) => commands::plot::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kvm-exit-stat: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
