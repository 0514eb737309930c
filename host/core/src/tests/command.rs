// SPDX-License-Identifier: GPL-2.0

//! Parsing of writes to `control` and to a VM's `reset`.

use crate::pure::breakdown::{Breakdown, IPI_BIT};
use crate::pure::command::{
    parse_clock, parse_command, parse_vm_reset, ClockKind, Command, MAX_WRITE,
};
use proptest::prelude::*;

#[test]
fn control_commands() {
    assert_eq!(parse_command(b"reset"), Some(Command::Reset));
    assert_eq!(parse_command(b"reset\n"), Some(Command::Reset));
    assert_eq!(parse_command(b"enable\n"), Some(Command::Enable));
    assert_eq!(parse_command(b"disable"), Some(Command::Disable));
    assert_eq!(
        parse_command(b"clock cycles\n"),
        Some(Command::Clock(ClockKind::Cycles))
    );
    assert_eq!(
        parse_command(b"clock counter"),
        Some(Command::Clock(ClockKind::Counter))
    );
}

#[test]
fn breakdown_commands() {
    let names = Breakdown::ALL
        .map(|b| (b.name(), b.bit()))
        .into_iter()
        .chain([("ipi", IPI_BIT)]);
    for (name, bit) in names {
        for (word, on) in [("on", true), ("off", false)] {
            let c = std::format!("breakdown {name} {word}\n");
            assert_eq!(
                parse_command(c.as_bytes()),
                Some(Command::Breakdown(bit, on))
            );
            assert!(c.len() <= MAX_WRITE, "{c}");
            assert_eq!(
                parse_command(&c.as_bytes()[..c.len() - 1]),
                Some(Command::Breakdown(bit, on))
            );
        }
    }
    for bad in [
        &b"breakdown"[..],
        b"breakdown ",
        b"breakdown sysregs",
        b"breakdown sysregs ",
        b"breakdown sysregs  on",
        b"breakdown  sysregs on",
        b"breakdown sysregs On",
        b"breakdown sysregs onn",
        b"breakdown sysreg on",
        b"breakdown irq on",
        b"breakdown on",
        b"breakdown sysregs on\n\n",
        b"breakdown sysregs on off",
        b"breakdown sysregs\non",
    ] {
        assert_eq!(parse_command(bad), None, "{:?}", std::str::from_utf8(bad));
    }
}

#[test]
fn every_command_fits_one_write() {
    for c in [
        &b"reset\n"[..],
        b"enable\n",
        b"disable\n",
        b"clock counter\n",
        b"clock cycles\n",
        b"1\n",
    ] {
        assert!(c.len() <= MAX_WRITE, "{c:?}");
    }
}

#[test]
fn control_rejects_near_misses() {
    for bad in [
        &b""[..],
        b"\n",
        b"reset\n\n",
        b"reset\r\n",
        b" reset",
        b"reset ",
        b"Reset",
        b"RESET",
        b"reset\0",
        b"res",
        b"resetx",
        b"enable disable",
        b"clock",
        b"clock ",
        b"clock  cycles",
        b"clock Cycles",
        b"clock ticks",
        b"clock cycles counter",
        b"clock cycles\n\n",
        b"clock\ncycles",
        b"cycles",
        b"1",
        b"\xffreset",
    ] {
        assert_eq!(parse_command(bad), None, "{bad:?}");
    }
}

#[test]
fn vm_reset() {
    assert!(parse_vm_reset(b"1"));
    assert!(parse_vm_reset(b"1\n"));
    for bad in [
        &b""[..],
        b"\n",
        b"0",
        b"11",
        b"1 ",
        b" 1",
        b"1\n\n",
        b"reset",
        b"\x01",
    ] {
        assert!(!parse_vm_reset(bad), "{bad:?}");
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_are_rejected_unless_a_command(input in proptest::collection::vec(any::<u8>(), 0..24)) {
        let valid = [&b"reset"[..], b"enable", b"disable"];
        let stripped = input.strip_suffix(b"\n").unwrap_or(&input);
        prop_assert_eq!(parse_command(&input).is_some(), valid.contains(&stripped));
        prop_assert_eq!(parse_vm_reset(&input), stripped == b"1");
    }
}

#[test]
fn clock_parameter() {
    assert_eq!(parse_clock(b"cycles"), Some(ClockKind::Cycles));
    assert_eq!(parse_clock(b"counter\n"), Some(ClockKind::Counter));
    for bad in [&b""[..], b"ticks", b"Cycles", b" cycles", b"cycles\n\n"] {
        assert_eq!(parse_clock(bad), None, "{bad:?}");
    }
    for k in [ClockKind::Counter, ClockKind::Cycles] {
        assert_eq!(parse_clock(k.name().as_bytes()), Some(k));
    }
}
