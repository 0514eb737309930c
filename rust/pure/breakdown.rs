// SPDX-License-Identifier: GPL-2.0

//! Breakdowns: the exits of some rows split by what the guest asked for
//! (which system register, which hypercall, which wait instruction), each
//! key with the statistics of a row.
//!
//! A breakdown is switched on in `control`. While one is on, the exit
//! probe reads the key of every exit of its rows from the syndrome or the
//! guest's x0, and the recorder adds the exit's duration to the key's row
//! of the vCPU's [`KeyTable`] for that breakdown, in the same write
//! section as the exit's row: a breakdown's rows add up to the rows it
//! breaks down. Tables hold [`KEYS`] keys each; later keys go to the
//! table's `OTHER` row. With every breakdown off the probes are built
//! without any of this.

use super::exit_type::ExitType::{self, *};
use super::histogram::{bucket_of, Histogram, BUCKETS};
use super::row::{Row, RowStats};
use core::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

/// The breakdowns, in the order `control` lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Breakdown {
    /// SYS64, SYS64_IPI and the AArch32 coprocessor rows by register and
    /// direction.
    Sysregs,
    /// HVC32, HVC64, SMC32 and SMC64 by SMCCC function ID.
    Hypercalls,
    /// WFX by instruction: WFI, WFE, WFIT, WFET.
    Wfx,
    /// DABT_IO_MEM, DABT_IO_MEM_IPI and DABT_IO_USER by device, 64 KiB
    /// region of guest-physical addresses, direction and size.
    Mmio,
    /// INTERRUPT by the host interrupt that caused it (see `host_irq.rs`).
    Interrupts,
}

impl Breakdown {
    pub(crate) const ALL: [Breakdown; 5] = [
        Self::Sysregs,
        Self::Hypercalls,
        Self::Wfx,
        Self::Mmio,
        Self::Interrupts,
    ];
    pub(crate) const COUNT: usize = Self::ALL.len();

    /// Its name: in `control` commands, and the name of its files.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Sysregs => "sysregs",
            Self::Hypercalls => "hypercalls",
            Self::Wfx => "wfx",
            Self::Mmio => "mmio",
            Self::Interrupts => "interrupts",
        }
    }

    /// The breakdown that splits row `t`, if any.
    #[inline(always)]
    pub(crate) const fn of(t: ExitType) -> Option<Breakdown> {
        match t {
            Sys64 | Sys64Ipi | Cp15_32 | Cp15_64 | Cp14Mr | Cp14Ls | Cp14_64 => Some(Self::Sysregs),
            Hvc32 | Hvc64 | Smc32 | Smc64 => Some(Self::Hypercalls),
            Wfx => Some(Self::Wfx),
            DabtIoMem | DabtIoMemIpi | DabtIoUser => Some(Self::Mmio),
            Interrupt => Some(Self::Interrupts),
            _ => None,
        }
    }

    /// The bit of this breakdown in a set of them.
    pub(crate) const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Virtual IPI latency's bit in a set of breakdowns: switched on and off
/// like them (`breakdown ipi on`), though it keys no exit (see `ipi.rs`).
pub(crate) const IPI_BIT: u8 = 1 << Breakdown::COUNT;

/// Every name `breakdown NAME on|off` takes, with its bit.
pub(crate) const SWITCHES: [(&str, u8); Breakdown::COUNT + 1] = [
    (Breakdown::Sysregs.name(), Breakdown::Sysregs.bit()),
    (Breakdown::Hypercalls.name(), Breakdown::Hypercalls.bit()),
    (Breakdown::Wfx.name(), Breakdown::Wfx.bit()),
    (Breakdown::Mmio.name(), Breakdown::Mmio.bit()),
    (Breakdown::Interrupts.name(), Breakdown::Interrupts.bit()),
    ("ipi", IPI_BIT),
];

/// The bit of the breakdown named `name`.
pub(crate) fn switch_bit(name: &[u8]) -> Option<u8> {
    SWITCHES
        .iter()
        .find(|(n, _)| n.as_bytes() == name)
        .map(|&(_, bit)| bit)
}

/// The syndrome bits that name a trapped register access, by trap class
/// (ESR_ELx ISS layouts): Op0, Op2, Op1, CRn, CRm and the direction for
/// MSR/MRS; the same without Op0 for MCR/MRC; Opc1, CRm and the direction
/// for MCRR/MRRC. The transfer registers (Rt, Rt2) and the condition are
/// left out.
pub(crate) const SYS64_KEY_MASK: u64 = 0x3f_fc1f;
pub(crate) const CP_32_KEY_MASK: u64 = 0x0f_fc1f;
pub(crate) const CP_64_KEY_MASK: u64 = 0x0f_001f;

/// The two bits of a WFx syndrome that say which instruction it was.
pub(crate) const WFX_TI_MASK: u64 = 0b11;

/// An MMIO key: the device (filled in when KVM says where the access
/// went), whether it wrote, the access size as a power of two, and the
/// 64 KiB region of the guest-physical address (bits 16 to 41; higher
/// ones are dropped).
pub(crate) mod mmio_key {
    pub(crate) const DEVICE_SHIFT: u32 = 29;
    pub(crate) const WRITE: u32 = 1 << 28;
    pub(crate) const SIZE_SHIFT: u32 = 26;
    pub(crate) const REGION_BITS: u32 = 26;
    pub(crate) const REGION_SHIFT: u32 = 16;
    /// ESR_ELx's WnR and SAS fields of a data abort.
    pub(crate) const ESR_WNR: u64 = 1 << 6;
    pub(crate) const ESR_SAS_SHIFT: u32 = 22;
}

/// Where an MMIO access went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub(crate) enum MmioDevice {
    /// Not known (KVM did not say).
    Unknown,
    /// The vGIC distributor.
    Gicd,
    /// A vGIC redistributor.
    Gicr,
    /// A vGIC ITS.
    Its,
    /// Another device in the kernel: an ioeventfd, coalesced MMIO.
    Kernel,
    /// The user-space VMM.
    Vmm,
}

impl MmioDevice {
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Unknown => "UNKNOWN",
            Self::Gicd => "GICD",
            Self::Gicr => "GICR",
            Self::Its => "ITS",
            Self::Kernel => "KERNEL",
            Self::Vmm => "VMM",
        }
    }

    pub(crate) fn from_bits(b: u32) -> MmioDevice {
        match b {
            1 => Self::Gicd,
            2 => Self::Gicr,
            3 => Self::Its,
            4 => Self::Kernel,
            5 => Self::Vmm,
            _ => Self::Unknown,
        }
    }

    /// Its bits in a key.
    pub(crate) const fn key_bits(self) -> u32 {
        (self as u32) << mmio_key::DEVICE_SHIFT
    }
}

/// The key of an exit of first class `class` with syndrome `esr`; `x0`
/// gives the guest's x0, read only for hypercalls, `ipa` the faulting
/// guest-physical address, read only for data aborts. Classes no
/// breakdown splits have key 0, and so has INTERRUPT until the probe of
/// the host's interrupt handlers keys it (`host_irq.rs`).
#[inline(always)]
pub(crate) fn key_of(
    class: ExitType,
    esr: u64,
    x0: impl FnOnce() -> u64,
    ipa: impl FnOnce() -> u64,
) -> u32 {
    let iss = match class {
        Sys64 => esr & SYS64_KEY_MASK,
        Cp15_32 | Cp14Mr => esr & CP_32_KEY_MASK,
        Cp15_64 | Cp14_64 => esr & CP_64_KEY_MASK,
        // SMCCC function IDs are 32 bits, whatever the calling convention.
        Hvc32 | Hvc64 | Smc32 | Smc64 => x0() & 0xffff_ffff,
        Wfx => esr & WFX_TI_MASK,
        DabtLow => return mmio_key_of(esr, ipa()),
        _ => 0,
    };
    iss as u32
}

/// A data abort's MMIO key, without its device.
fn mmio_key_of(esr: u64, ipa: u64) -> u32 {
    use mmio_key::*;
    let write = if esr & ESR_WNR != 0 { WRITE } else { 0 };
    let size = ((esr >> ESR_SAS_SHIFT) & 0b11) as u32;
    let region = (ipa >> REGION_SHIFT) as u32 & ((1 << REGION_BITS) - 1);
    write | size << SIZE_SHIFT | region
}

/// Keys a vCPU's table holds before the rest go to `OTHER`.
pub(crate) const KEYS: usize = 16;
/// The index of the `OTHER` row.
pub(crate) const OTHER: usize = KEYS;

/// A slot's key in a [`KeyTable`]: the row of the exit in the upper half
/// (plus one, so that zero is a free slot), its key in the lower.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct SlotKey(u64);

impl SlotKey {
    pub(crate) const FREE: SlotKey = SlotKey(0);

    #[inline(always)]
    pub(crate) fn new(row: ExitType, key: u32) -> SlotKey {
        SlotKey((row as u64 + 1) << 32 | key as u64)
    }

    /// The exit row and the key, unless the slot is free.
    pub(crate) fn get(self) -> Option<(ExitType, u32)> {
        let row = (self.0 >> 32) as usize;
        (row != 0).then(|| (ExitType::ALL[(row - 1) % ExitType::COUNT], self.0 as u32))
    }
}

/// One vCPU's rows of one breakdown: [`KEYS`] keyed rows and `OTHER`.
/// Written by the vCPU's recorder in its write sections, read under its
/// sequence count. All-zero memory is an empty table.
///
/// A reset of the recorder clears its tables lazily: a table holds the
/// reset epoch it was last cleared for, and one of an older epoch reads
/// as empty and is cleared before it is next written. So resets cost the
/// probes that have no breakdown nothing, and a table whose breakdown is
/// off still empties with a reset.
#[repr(C)]
pub(crate) struct KeyTable {
    /// The recorder's reset epoch the rows belong to.
    epoch: AtomicU32,
    /// Each slot's [`SlotKey`], taken in the order keys are first seen.
    keys: [AtomicU64; KEYS],
    rows: [Row; KEYS + 1],
    hists: [Histogram; KEYS + 1],
}

impl KeyTable {
    /// Adds duration `d` to the row of `key`, in the recorder's reset
    /// epoch `epoch`. The recorder's writer only.
    #[inline(always)]
    pub(crate) fn record(&self, key: SlotKey, d: u64, epoch: u32) {
        if self.epoch.load(Relaxed) != epoch {
            self.clear(epoch);
        }
        let i = self.slot(key);
        self.rows[i].record(d);
        self.hists[i].add(bucket_of(d));
    }

    /// The slot of `key`, taken if it is new; `OTHER` once all are taken.
    #[inline(always)]
    fn slot(&self, key: SlotKey) -> usize {
        for (i, k) in self.keys.iter().enumerate() {
            let k0 = k.load(Relaxed);
            if k0 == key.0 {
                return i;
            }
            if k0 == SlotKey::FREE.0 {
                k.store(key.0, Relaxed);
                return i;
            }
        }
        OTHER
    }

    /// Empties the table for reset epoch `epoch`. The recorder's writer
    /// only.
    #[cold]
    fn clear(&self, epoch: u32) {
        self.epoch.store(epoch, Relaxed);
        for k in self.keys.iter() {
            k.store(SlotKey::FREE.0, Relaxed);
        }
        for (row, hist) in self.rows.iter().zip(self.hists.iter()) {
            row.clear();
            hist.clear();
        }
    }

    /// Row `i`'s key (`FREE` for `OTHER`), statistics and bucket counts,
    /// which must be copied under the recorder's sequence count; empty if
    /// the table is older than the recorder's reset epoch `epoch`.
    pub(crate) fn read_slot(
        &self,
        i: usize,
        epoch: u32,
        buckets: &mut [u64; BUCKETS],
    ) -> (SlotKey, RowStats) {
        if self.epoch.load(Relaxed) != epoch {
            return (SlotKey::FREE, RowStats::default());
        }
        let key = match self.keys.get(i) {
            Some(k) => SlotKey(k.load(Relaxed)),
            None => SlotKey::FREE,
        };
        buckets.fill(0);
        self.hists[i].add_to(buckets);
        let count = buckets.iter().fold(0u64, |a, &c| a.saturating_add(c));
        (key, self.rows[i].read(count))
    }
}

/// The breakdown tables a vCPU has, as its recorder's writer methods take
/// them, and which breakdowns are on: exits are recorded in the tables of
/// those, a reset clears them all.
#[derive(Clone, Copy)]
pub(crate) struct Tables<'a> {
    pub(crate) tables: [Option<&'a KeyTable>; Breakdown::COUNT],
    /// A set of [`Breakdown::bit`]s.
    pub(crate) on: u8,
}

impl Tables<'_> {
    /// No table: every breakdown off.
    pub(crate) const NONE: Tables<'static> = Tables {
        tables: [None; Breakdown::COUNT],
        on: 0,
    };

    /// The table of `b` if `b` is on.
    #[inline(always)]
    fn on(&self, b: Breakdown) -> Option<&KeyTable> {
        if self.on & b.bit() != 0 {
            self.tables[b as usize]
        } else {
            None
        }
    }

    /// Adds an exit of row `row` and key `key` that took `d`, if its
    /// breakdown is on; `epoch` is the recorder's reset epoch.
    #[inline(always)]
    pub(crate) fn record(&self, row: ExitType, key: u32, d: u64, epoch: u32) {
        if let Some(t) = Breakdown::of(row).and_then(|b| self.on(b)) {
            t.record(SlotKey::new(row, key), d, epoch);
        }
    }

    /// Whether any breakdown is on.
    #[inline(always)]
    pub(crate) fn any(&self) -> bool {
        self.on != 0
    }
}
