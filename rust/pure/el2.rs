// SPDX-License-Identifier: GPL-2.0

//! The traps KVM handles at EL2: the world switch's exit handlers take
//! them and re-enter the guest without returning to the host (lazy FP and
//! SVE switches, counter reads under a VM offset, GIC CPU-interface and
//! errata system-register traps, ...). No probe sees them; KVM counts them
//! by exception class in the vCPU stat `hyp_exit_hist` (patches/6.12), and
//! the tables show them in a section of their own, counted, not timed.

use super::classify::ec;

/// Exception classes: the buckets of `hyp_exit_hist`.
pub(crate) const CLASSES: usize = 64;

/// `ESR_ELx_EC_MOPS` (FEAT_MOPS), which 6.12 handles at EL2 too. Not in
/// the bindings' list of classes: the Arm ARM's value.
pub(crate) const EC_MOPS: u8 = 0x27;

/// One row of the EL2 section: a class with an EL2 handler in 6.12, or
/// any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum El2Row {
    Cp15_32,
    Sys64,
    FpAsimd,
    Sve,
    IabtLow,
    DabtLow,
    WatchptLow,
    Eret,
    Mops,
    Other,
}

impl El2Row {
    /// Every row, in table order (the discriminant is the index).
    pub(crate) const ALL: [El2Row; 10] = [
        Self::Cp15_32,
        Self::Sys64,
        Self::FpAsimd,
        Self::Sve,
        Self::IabtLow,
        Self::DabtLow,
        Self::WatchptLow,
        Self::Eret,
        Self::Mops,
        Self::Other,
    ];

    pub(crate) const COUNT: usize = Self::ALL.len();

    /// The name shown in the tables (ABI).
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Cp15_32 => "EL2_CP15_32",
            Self::Sys64 => "EL2_SYS64",
            Self::FpAsimd => "EL2_FP_ASIMD",
            Self::Sve => "EL2_SVE",
            Self::IabtLow => "EL2_IABT_LOW",
            Self::DabtLow => "EL2_DABT_LOW",
            Self::WatchptLow => "EL2_WATCHPT_LOW",
            Self::Eret => "EL2_ERET",
            Self::Mops => "EL2_MOPS",
            Self::Other => "EL2_OTHER",
        }
    }

    /// The row of exception class `class`.
    pub(crate) const fn of_class(class: u8) -> El2Row {
        match class {
            ec::CP15_32 => Self::Cp15_32,
            ec::SYS64 => Self::Sys64,
            ec::FP_ASIMD => Self::FpAsimd,
            ec::SVE => Self::Sve,
            ec::IABT_LOW => Self::IabtLow,
            ec::DABT_LOW => Self::DabtLow,
            ec::WATCHPT_LOW => Self::WatchptLow,
            ec::ERET => Self::Eret,
            EC_MOPS => Self::Mops,
            _ => Self::Other,
        }
    }
}

/// Counts of traps handled at EL2, one per row: of one vCPU or summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct El2Counts(pub(crate) [u64; El2Row::COUNT]);

impl El2Counts {
    /// The rows of KVM's per-class counts.
    pub(crate) fn from_classes(by_class: &[u64; CLASSES]) -> El2Counts {
        let mut c = El2Counts::default();
        for (class, &n) in by_class.iter().enumerate() {
            let r = &mut c.0[El2Row::of_class(class as u8) as usize];
            *r = r.wrapping_add(n);
        }
        c
    }

    /// What was counted since `base`, a copy of earlier counts of the same
    /// vCPU (KVM's counts only grow; wrapping, as they do after 2^64).
    pub(crate) fn since(&self, base: &El2Counts) -> El2Counts {
        let mut c = *self;
        for (n, b) in c.0.iter_mut().zip(base.0) {
            *n = n.wrapping_sub(b);
        }
        c
    }

    pub(crate) fn add(&mut self, more: &El2Counts) {
        for (n, m) in self.0.iter_mut().zip(more.0) {
            *n = n.saturating_add(m);
        }
    }

    pub(crate) fn get(&self, r: El2Row) -> u64 {
        self.0[r as usize]
    }

    pub(crate) fn total(&self) -> u64 {
        self.0.iter().fold(0u64, |a, &n| a.saturating_add(n))
    }
}
