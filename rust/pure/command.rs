// SPDX-License-Identifier: GPL-2.0

//! What may be written to the writable debugfs files.
//!
//! A write is one whole command, at offset 0, optionally ending in one
//! newline (as `echo` sends it). Anything else is rejected and changes
//! nothing.

use super::breakdown::switch_bit;

/// Longest write accepted, newline included.
pub(crate) const MAX_WRITE: usize = 32;

/// Commands of the `control` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// Empty every table: all VMs, and the destroyed VMs' totals.
    Reset,
    /// Time exits (the state after loading).
    Enable,
    /// Stop timing; tables keep what they hold.
    Disable,
    /// Time with this clock from now on, after a reset.
    Clock(ClockKind),
    /// Switch a breakdown (its bit, see `breakdown::SWITCHES`) on
    /// (`true`) or off.
    Breakdown(u8, bool),
}

/// The clocks exits can be timed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClockKind {
    /// The arm64 generic counter (the default).
    Counter,
    /// The PMU cycle counter, PMCCNTR_EL0.
    Cycles,
}

impl ClockKind {
    /// The word that selects it in a `clock` command.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ClockKind::Counter => "counter",
            ClockKind::Cycles => "cycles",
        }
    }
}

fn strip_newline(input: &[u8]) -> &[u8] {
    input.strip_suffix(b"\n").unwrap_or(input)
}

/// The command written to `control`, if `input` is one.
pub(crate) fn parse_command(input: &[u8]) -> Option<Command> {
    match strip_newline(input) {
        b"reset" => Some(Command::Reset),
        b"enable" => Some(Command::Enable),
        b"disable" => Some(Command::Disable),
        other if other.ends_with(b"\n") => None,
        other => {
            if let Some(clock) = other.strip_prefix(b"clock ") {
                return parse_clock(clock).map(Command::Clock);
            }
            // `breakdown <name> on|off`
            let rest = other.strip_prefix(b"breakdown ")?;
            let (name, on) = match rest.strip_suffix(b" on") {
                Some(name) => (name, true),
                None => (rest.strip_suffix(b" off")?, false),
            };
            switch_bit(name).map(|bit| Command::Breakdown(bit, on))
        }
    }
}

/// The clock named by `input` (`counter` or `cycles`), as the `clock`
/// module parameter takes it.
pub(crate) fn parse_clock(input: &[u8]) -> Option<ClockKind> {
    match strip_newline(input) {
        b"counter" => Some(ClockKind::Counter),
        b"cycles" => Some(ClockKind::Cycles),
        _ => None,
    }
}

/// Whether `input`, written to a VM's `reset` file, asks for a reset.
pub(crate) fn parse_vm_reset(input: &[u8]) -> bool {
    strip_newline(input) == b"1"
}
