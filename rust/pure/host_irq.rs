// SPDX-License-Identifier: GPL-2.0

//! The host interrupts that INTERRUPT exits are keyed by, and their names.
//!
//! An INTERRUPT exit happens because a host interrupt became pending while
//! the guest ran; the host takes it as soon as KVM unmasks interrupts,
//! before it handles anything else. The `interrupts` breakdown keys the
//! exit by the Linux IRQ number of the first handler that runs then (0 if
//! none does, a spurious interrupt). Numbers are host-wide, so their names
//! are kept once for every VM in [`IrqNames`]: a device's name is that of
//! its handler (`request_irq()`), an IPI's the kind arm64 traces for it.

use core::fmt::{self, Display, Write};
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

/// The key of an INTERRUPT exit that no host handler was seen for.
pub(crate) const NO_IRQ: u32 = 0;

/// Distinct IRQs named; the names of others are not kept.
pub(crate) const IRQ_SLOTS: usize = 64;
/// Bytes of a name kept; longer names are cut.
pub(crate) const NAME_BYTES: usize = 27;

/// What a slot's name is, published after the name's bytes.
mod kind {
    /// A device's handler's name.
    pub(super) const DEVICE: u8 = 1;
    /// An IPI's kind, as arm64 traces it.
    pub(super) const IPI: u8 = 2;
}

/// The name arm64's IPI handlers give every IPI: their kinds come from
/// the `ipi_entry` tracepoint that follows.
pub(crate) const IPI_HANDLER_NAME: &[u8] = b"IPI";

/// How arm64 names its IPIs in traces (`ipi_types[]` in smp.c), and the
/// short names the breakdown shows for them.
const IPI_KINDS: [(&str, &str); 8] = [
    ("Rescheduling interrupts", "IPI_RESCHEDULE"),
    ("Function call interrupts", "IPI_CALL_FUNC"),
    ("CPU stop interrupts", "IPI_CPU_STOP"),
    ("CPU stop NMIs", "IPI_CPU_STOP_NMI"),
    ("Timer broadcast interrupts", "IPI_TIMER"),
    ("IRQ work interrupts", "IPI_IRQ_WORK"),
    ("CPU backtrace interrupts", "IPI_CPU_BACKTRACE"),
    ("KGDB roundup interrupts", "IPI_KGDB_ROUNDUP"),
];

/// One named IRQ. All-zero is a free slot.
#[repr(C)]
struct Slot {
    /// The IRQ plus one once the slot is claimed.
    irq: AtomicU32,
    /// A `kind`, valid once `named` is set.
    kind: AtomicU8,
    /// Set (release) once `kind` and `name` are written.
    named: AtomicU8,
    /// The name, NUL-padded.
    name: [AtomicU8; NAME_BYTES],
}

/// The names of the host IRQs seen after INTERRUPT exits, written by the
/// interrupt probes on any CPU and read by the files. All-zero memory is
/// an empty table. Slots are claimed for good: an IRQ number keeps the
/// name it was first seen with.
#[repr(C)]
pub(crate) struct IrqNames {
    slots: [Slot; IRQ_SLOTS],
}

impl IrqNames {
    /// The slot of `irq` if it has one, or the free slot it may take;
    /// `None` if it has none and none is free. Open addressing from the
    /// IRQ's own index, so that a lookup of a named IRQ costs one load.
    #[inline(always)]
    fn find(&self, irq: u32) -> Option<&Slot> {
        let want = irq.wrapping_add(1);
        let start = irq as usize % IRQ_SLOTS;
        for i in 0..IRQ_SLOTS {
            let s = &self.slots[(start + i) % IRQ_SLOTS];
            let have = s.irq.load(Ordering::Acquire);
            if have == want || have == 0 {
                return Some(s);
            }
        }
        None
    }

    /// Whether `irq` has a slot (named, or being named).
    #[inline(always)]
    pub(crate) fn knows(&self, irq: u32) -> bool {
        self.find(irq)
            .is_some_and(|s| s.irq.load(Ordering::Relaxed) == irq.wrapping_add(1))
    }

    /// Names `irq` after the handler called `name`, unless it has a name.
    /// Not for IPIs (see [`IPI_HANDLER_NAME`]).
    pub(crate) fn name_device(&self, irq: u32, name: &[u8]) {
        self.set(irq, kind::DEVICE, name)
    }

    /// Names `irq` as the IPI of kind `reason` (as arm64 traces it), unless
    /// it has a name.
    pub(crate) fn name_ipi(&self, irq: u32, reason: &[u8]) {
        self.set(irq, kind::IPI, reason)
    }

    /// Claims the first free slot from the IRQ's own index on and names
    /// it, unless the IRQ has a slot (or another CPU claims one for it
    /// first).
    fn set(&self, irq: u32, k: u8, name: &[u8]) {
        let want = irq.wrapping_add(1);
        let home = irq as usize % IRQ_SLOTS;
        for i in 0..IRQ_SLOTS {
            let s = &self.slots[(home + i) % IRQ_SLOTS];
            let claimed = match s.irq.load(Ordering::Acquire) {
                0 => s
                    .irq
                    .compare_exchange(0, want, Ordering::AcqRel, Ordering::Acquire),
                have => Err(have),
            };
            match claimed {
                Ok(_) => {
                    let padded = name.iter().chain(core::iter::repeat(&0u8));
                    for (b, &c) in s.name.iter().zip(padded) {
                        b.store(c, Ordering::Relaxed);
                    }
                    s.kind.store(k, Ordering::Relaxed);
                    s.named.store(1, Ordering::Release);
                    return;
                }
                Err(have) if have == want => return,
                // Another IRQ's: look further.
                Err(_) => {}
            }
        }
    }

    /// The label of key `irq` of the `interrupts` breakdown.
    pub(crate) fn label(&self, irq: u32) -> IrqLabel {
        let mut label = IrqLabel::unnamed(irq);
        if irq == NO_IRQ {
            return label;
        }
        if let Some(s) = self.find(irq).filter(|s| {
            s.irq.load(Ordering::Relaxed) == irq.wrapping_add(1)
                && s.named.load(Ordering::Acquire) != 0
        }) {
            label.kind = Some(s.kind.load(Ordering::Relaxed));
            for (b, a) in label.name.iter_mut().zip(s.name.iter()) {
                *b = a.load(Ordering::Relaxed);
            }
        }
        label
    }
}

/// A key of the `interrupts` breakdown, named: `NONE`, an IPI's kind
/// (`IPI_RESCHEDULE`), a device's handler (`arch_timer`, spaces made
/// underscores), or `IRQ` if its name was not kept. The detail column is
/// the Linux IRQ number, as in /proc/interrupts (`irq11`).
#[derive(Clone, Copy)]
pub(crate) struct IrqLabel {
    irq: u32,
    kind: Option<u8>,
    name: [u8; NAME_BYTES],
}

impl IrqLabel {
    /// The label of an IRQ whose name is not known.
    pub(crate) const fn unnamed(irq: u32) -> IrqLabel {
        IrqLabel {
            irq,
            kind: None,
            name: [0; NAME_BYTES],
        }
    }

    fn name_bytes(&self) -> &[u8] {
        let len = self.name.iter().position(|&c| c == 0).unwrap_or(NAME_BYTES);
        &self.name[..len]
    }

    /// The name column.
    pub(crate) fn name(&self) -> impl Display + '_ {
        LabelName(self)
    }

    /// The detail column.
    pub(crate) fn detail(&self) -> impl Display + '_ {
        LabelDetail(self.irq)
    }
}

struct LabelName<'a>(&'a IrqLabel);
struct LabelDetail(u32);

/// `name` with every byte that is not a letter, digit or one of `_.-:`
/// written as `_`, so that the column is one word.
fn write_word(f: &mut impl Write, name: &[u8]) -> fmt::Result {
    for &c in name {
        let ok = c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b':');
        f.write_char(if ok { c as char } else { '_' })?;
    }
    Ok(())
}

impl LabelName<'_> {
    fn write(&self, w: &mut impl Write) -> fmt::Result {
        let l = self.0;
        if l.irq == NO_IRQ {
            return w.write_str("NONE");
        }
        let name = l.name_bytes();
        match l.kind {
            Some(kind::IPI) => {
                // Kept names may be cut: match on what was kept.
                let known = IPI_KINDS.iter().find(|(reason, _)| {
                    let r = reason.as_bytes();
                    !name.is_empty() && r[..r.len().min(NAME_BYTES)] == *name
                });
                match known {
                    Some((_, short)) => w.write_str(short),
                    None => {
                        w.write_str("IPI_")?;
                        write_word(w, name)
                    }
                }
            }
            Some(_) if !name.is_empty() => write_word(w, name),
            _ => w.write_str("IRQ"),
        }
    }
}

impl Display for LabelName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = super::text_buf::TextBuf::<48>::new();
        self.write(&mut s)?;
        f.pad(s.as_str())
    }
}

impl Display for LabelDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = super::text_buf::TextBuf::<16>::new();
        if self.0 == NO_IRQ {
            s.write_str("-")?;
        } else {
            write!(s, "irq{}", self.0)?;
        }
        f.pad(s.as_str())
    }
}
