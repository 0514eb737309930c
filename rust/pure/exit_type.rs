// SPDX-License-Identifier: GPL-2.0

//! The kinds of guest exit the profiler tells apart, in table order.
//!
//! The first 19 are those of the 2016 NXP exit-timing framework, in its
//! order; the rest are what a current arm64 KVM adds. The names are ABI:
//! they appear verbatim in the debugfs tables.

/// One row of the exit-timing table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum ExitType {
    Wfx,
    Cp15_32,
    Cp15_64,
    Cp14Mr,
    Cp14Ls,
    Cp14_64,
    Hvc32,
    Smc32,
    Hvc64,
    Smc64,
    Sys64,
    IabtLow,
    DabtLow,
    DabtIoMem,
    DabtUserMem,
    DabtIoMemIpi,
    Interrupt,
    TimeInGuest,
    Descheduled,
    DabtIoUser,
    Sys64Ipi,
    FpAsimd,
    Sve,
    Pac,
    Cp10Id,
    Debug,
    Eret,
    Svc64,
    SError,
    Il,
    HypGone,
    Unknown,
}

impl ExitType {
    /// Every exit type, in table order (the discriminant is the index).
    pub(crate) const ALL: [ExitType; 32] = [
        Self::Wfx,
        Self::Cp15_32,
        Self::Cp15_64,
        Self::Cp14Mr,
        Self::Cp14Ls,
        Self::Cp14_64,
        Self::Hvc32,
        Self::Smc32,
        Self::Hvc64,
        Self::Smc64,
        Self::Sys64,
        Self::IabtLow,
        Self::DabtLow,
        Self::DabtIoMem,
        Self::DabtUserMem,
        Self::DabtIoMemIpi,
        Self::Interrupt,
        Self::TimeInGuest,
        Self::Descheduled,
        Self::DabtIoUser,
        Self::Sys64Ipi,
        Self::FpAsimd,
        Self::Sve,
        Self::Pac,
        Self::Cp10Id,
        Self::Debug,
        Self::Eret,
        Self::Svc64,
        Self::SError,
        Self::Il,
        Self::HypGone,
        Self::Unknown,
    ];

    /// Number of exit types: the number of rows in a table.
    pub(crate) const COUNT: usize = Self::ALL.len();

    /// The name shown in the tables.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Wfx => "WFX",
            Self::Cp15_32 => "CP15_32",
            Self::Cp15_64 => "CP15_64",
            Self::Cp14Mr => "CP14_MR",
            Self::Cp14Ls => "CP14_LS",
            Self::Cp14_64 => "CP14_64",
            Self::Hvc32 => "HVC32",
            Self::Smc32 => "SMC32",
            Self::Hvc64 => "HVC64",
            Self::Smc64 => "SMC64",
            Self::Sys64 => "SYS64",
            Self::IabtLow => "IABT_LOW",
            Self::DabtLow => "DABT_LOW",
            Self::DabtIoMem => "DABT_IO_MEM",
            Self::DabtUserMem => "DABT_USER_MEM",
            Self::DabtIoMemIpi => "DABT_IO_MEM_IPI",
            Self::Interrupt => "INTERRUPT",
            Self::TimeInGuest => "TIMEINGUEST",
            Self::Descheduled => "DESCHEDULED",
            Self::DabtIoUser => "DABT_IO_USER",
            Self::Sys64Ipi => "SYS64_IPI",
            Self::FpAsimd => "FP_ASIMD",
            Self::Sve => "SVE",
            Self::Pac => "PAC",
            Self::Cp10Id => "CP10_ID",
            Self::Debug => "DEBUG",
            Self::Eret => "ERET",
            Self::Svc64 => "SVC64",
            Self::SError => "SERROR",
            Self::Il => "IL",
            Self::HypGone => "HYP_GONE",
            Self::Unknown => "UNKNOWN",
        }
    }

    /// Whether this row counts guest exits, as KVM's `exits` stat does;
    /// TIMEINGUEST and DESCHEDULED time something else.
    pub(crate) const fn is_exit(self) -> bool {
        !matches!(self, Self::TimeInGuest | Self::Descheduled)
    }

    /// Whether this row's exits are traps (exit code `ARM_EXCEPTION_TRAP`):
    /// every exit row but interrupts, SErrors, illegal exception returns
    /// and EL2 resets. UNKNOWN counts as a trap: nearly all are.
    pub(crate) const fn is_trap(self) -> bool {
        self.is_exit()
            && !matches!(
                self,
                Self::Interrupt | Self::SError | Self::Il | Self::HypGone
            )
    }
}
