// SPDX-License-Identifier: GPL-2.0

//! The names of breakdown keys: system registers by their architectural
//! names (by encoding where this table does not know them), SMCCC
//! functions by the names of their specifications (by ID otherwise), wait
//! instructions by mnemonic. The names are ABI.

use super::breakdown::{mmio_key, Breakdown, MmioDevice};
use super::exit_type::ExitType::{self, *};
use core::fmt::{self, Display};

/// A system register's or instruction's encoding, packed as the kernel's
/// `sys_reg()` packs it.
const fn enc(op0: u32, op1: u32, crn: u32, crm: u32, op2: u32) -> u32 {
    op0 << 14 | op1 << 11 | crn << 7 | crm << 3 | op2
}

/// The registers and instructions KVM traps that this table names:
/// those a guest meets in practice (ID registers under HCR_EL2.TID3, the
/// GICv3 CPU interface, timers, PMU, debug, set/way cache maintenance).
const SYSREGS: &[(u32, &str)] = &[
    (enc(3, 0, 0, 0, 0), "MIDR_EL1"),
    (enc(3, 0, 0, 0, 5), "MPIDR_EL1"),
    (enc(3, 0, 0, 0, 6), "REVIDR_EL1"),
    (enc(3, 0, 0, 1, 0), "ID_PFR0_EL1"),
    (enc(3, 0, 0, 1, 1), "ID_PFR1_EL1"),
    (enc(3, 0, 0, 1, 2), "ID_DFR0_EL1"),
    (enc(3, 0, 0, 1, 3), "ID_AFR0_EL1"),
    (enc(3, 0, 0, 1, 4), "ID_MMFR0_EL1"),
    (enc(3, 0, 0, 1, 5), "ID_MMFR1_EL1"),
    (enc(3, 0, 0, 1, 6), "ID_MMFR2_EL1"),
    (enc(3, 0, 0, 1, 7), "ID_MMFR3_EL1"),
    (enc(3, 0, 0, 2, 0), "ID_ISAR0_EL1"),
    (enc(3, 0, 0, 2, 1), "ID_ISAR1_EL1"),
    (enc(3, 0, 0, 2, 2), "ID_ISAR2_EL1"),
    (enc(3, 0, 0, 2, 3), "ID_ISAR3_EL1"),
    (enc(3, 0, 0, 2, 4), "ID_ISAR4_EL1"),
    (enc(3, 0, 0, 2, 5), "ID_ISAR5_EL1"),
    (enc(3, 0, 0, 2, 6), "ID_MMFR4_EL1"),
    (enc(3, 0, 0, 2, 7), "ID_ISAR6_EL1"),
    (enc(3, 0, 0, 3, 0), "MVFR0_EL1"),
    (enc(3, 0, 0, 3, 1), "MVFR1_EL1"),
    (enc(3, 0, 0, 3, 2), "MVFR2_EL1"),
    (enc(3, 0, 0, 3, 4), "ID_PFR2_EL1"),
    (enc(3, 0, 0, 3, 5), "ID_DFR1_EL1"),
    (enc(3, 0, 0, 3, 6), "ID_MMFR5_EL1"),
    (enc(3, 0, 0, 4, 0), "ID_AA64PFR0_EL1"),
    (enc(3, 0, 0, 4, 1), "ID_AA64PFR1_EL1"),
    (enc(3, 0, 0, 4, 2), "ID_AA64PFR2_EL1"),
    (enc(3, 0, 0, 4, 4), "ID_AA64ZFR0_EL1"),
    (enc(3, 0, 0, 4, 5), "ID_AA64SMFR0_EL1"),
    (enc(3, 0, 0, 5, 0), "ID_AA64DFR0_EL1"),
    (enc(3, 0, 0, 5, 1), "ID_AA64DFR1_EL1"),
    (enc(3, 0, 0, 5, 4), "ID_AA64AFR0_EL1"),
    (enc(3, 0, 0, 5, 5), "ID_AA64AFR1_EL1"),
    (enc(3, 0, 0, 6, 0), "ID_AA64ISAR0_EL1"),
    (enc(3, 0, 0, 6, 1), "ID_AA64ISAR1_EL1"),
    (enc(3, 0, 0, 6, 2), "ID_AA64ISAR2_EL1"),
    (enc(3, 0, 0, 7, 0), "ID_AA64MMFR0_EL1"),
    (enc(3, 0, 0, 7, 1), "ID_AA64MMFR1_EL1"),
    (enc(3, 0, 0, 7, 2), "ID_AA64MMFR2_EL1"),
    (enc(3, 0, 0, 7, 3), "ID_AA64MMFR3_EL1"),
    (enc(3, 0, 0, 7, 4), "ID_AA64MMFR4_EL1"),
    (enc(3, 0, 1, 0, 0), "SCTLR_EL1"),
    (enc(3, 0, 1, 0, 1), "ACTLR_EL1"),
    (enc(3, 0, 1, 2, 0), "ZCR_EL1"),
    (enc(3, 0, 2, 0, 0), "TTBR0_EL1"),
    (enc(3, 0, 2, 0, 1), "TTBR1_EL1"),
    (enc(3, 0, 2, 0, 2), "TCR_EL1"),
    (enc(3, 0, 4, 6, 0), "ICC_PMR_EL1"),
    (enc(3, 0, 5, 1, 0), "AFSR0_EL1"),
    (enc(3, 0, 5, 1, 1), "AFSR1_EL1"),
    (enc(3, 0, 5, 2, 0), "ESR_EL1"),
    (enc(3, 0, 6, 0, 0), "FAR_EL1"),
    (enc(3, 0, 7, 4, 0), "PAR_EL1"),
    (enc(3, 0, 9, 14, 1), "PMINTENSET_EL1"),
    (enc(3, 0, 9, 14, 2), "PMINTENCLR_EL1"),
    (enc(3, 0, 10, 2, 0), "MAIR_EL1"),
    (enc(3, 0, 10, 3, 0), "AMAIR_EL1"),
    (enc(3, 0, 10, 4, 0), "LORSA_EL1"),
    (enc(3, 0, 10, 4, 1), "LOREA_EL1"),
    (enc(3, 0, 10, 4, 2), "LORN_EL1"),
    (enc(3, 0, 10, 4, 3), "LORC_EL1"),
    (enc(3, 0, 10, 4, 7), "LORID_EL1"),
    (enc(3, 0, 12, 8, 0), "ICC_IAR0_EL1"),
    (enc(3, 0, 12, 8, 1), "ICC_EOIR0_EL1"),
    (enc(3, 0, 12, 8, 2), "ICC_HPPIR0_EL1"),
    (enc(3, 0, 12, 8, 3), "ICC_BPR0_EL1"),
    (enc(3, 0, 12, 8, 4), "ICC_AP0R0_EL1"),
    (enc(3, 0, 12, 8, 5), "ICC_AP0R1_EL1"),
    (enc(3, 0, 12, 8, 6), "ICC_AP0R2_EL1"),
    (enc(3, 0, 12, 8, 7), "ICC_AP0R3_EL1"),
    (enc(3, 0, 12, 9, 0), "ICC_AP1R0_EL1"),
    (enc(3, 0, 12, 9, 1), "ICC_AP1R1_EL1"),
    (enc(3, 0, 12, 9, 2), "ICC_AP1R2_EL1"),
    (enc(3, 0, 12, 9, 3), "ICC_AP1R3_EL1"),
    (enc(3, 0, 12, 11, 1), "ICC_DIR_EL1"),
    (enc(3, 0, 12, 11, 3), "ICC_RPR_EL1"),
    (enc(3, 0, 12, 11, 5), "ICC_SGI1R_EL1"),
    (enc(3, 0, 12, 11, 6), "ICC_ASGI1R_EL1"),
    (enc(3, 0, 12, 11, 7), "ICC_SGI0R_EL1"),
    (enc(3, 0, 12, 12, 0), "ICC_IAR1_EL1"),
    (enc(3, 0, 12, 12, 1), "ICC_EOIR1_EL1"),
    (enc(3, 0, 12, 12, 2), "ICC_HPPIR1_EL1"),
    (enc(3, 0, 12, 12, 3), "ICC_BPR1_EL1"),
    (enc(3, 0, 12, 12, 4), "ICC_CTLR_EL1"),
    (enc(3, 0, 12, 12, 5), "ICC_SRE_EL1"),
    (enc(3, 0, 12, 12, 6), "ICC_IGRPEN0_EL1"),
    (enc(3, 0, 12, 12, 7), "ICC_IGRPEN1_EL1"),
    (enc(3, 0, 13, 0, 1), "CONTEXTIDR_EL1"),
    (enc(3, 0, 14, 1, 0), "CNTKCTL_EL1"),
    (enc(3, 1, 0, 0, 0), "CCSIDR_EL1"),
    (enc(3, 1, 0, 0, 1), "CLIDR_EL1"),
    (enc(3, 1, 0, 0, 2), "CCSIDR2_EL1"),
    (enc(3, 2, 0, 0, 0), "CSSELR_EL1"),
    (enc(3, 3, 0, 0, 1), "CTR_EL0"),
    (enc(3, 3, 0, 0, 7), "DCZID_EL0"),
    (enc(3, 3, 2, 4, 0), "RNDR"),
    (enc(3, 3, 2, 4, 1), "RNDRRS"),
    (enc(3, 3, 9, 12, 0), "PMCR_EL0"),
    (enc(3, 3, 9, 12, 1), "PMCNTENSET_EL0"),
    (enc(3, 3, 9, 12, 2), "PMCNTENCLR_EL0"),
    (enc(3, 3, 9, 12, 3), "PMOVSCLR_EL0"),
    (enc(3, 3, 9, 12, 4), "PMSWINC_EL0"),
    (enc(3, 3, 9, 12, 5), "PMSELR_EL0"),
    (enc(3, 3, 9, 12, 6), "PMCEID0_EL0"),
    (enc(3, 3, 9, 12, 7), "PMCEID1_EL0"),
    (enc(3, 3, 9, 13, 0), "PMCCNTR_EL0"),
    (enc(3, 3, 9, 13, 1), "PMXEVTYPER_EL0"),
    (enc(3, 3, 9, 13, 2), "PMXEVCNTR_EL0"),
    (enc(3, 3, 9, 14, 0), "PMUSERENR_EL0"),
    (enc(3, 3, 9, 14, 3), "PMOVSSET_EL0"),
    (enc(3, 3, 14, 0, 0), "CNTFRQ_EL0"),
    (enc(3, 3, 14, 0, 1), "CNTPCT_EL0"),
    (enc(3, 3, 14, 0, 2), "CNTVCT_EL0"),
    (enc(3, 3, 14, 0, 5), "CNTPCTSS_EL0"),
    (enc(3, 3, 14, 0, 6), "CNTVCTSS_EL0"),
    (enc(3, 3, 14, 2, 0), "CNTP_TVAL_EL0"),
    (enc(3, 3, 14, 2, 1), "CNTP_CTL_EL0"),
    (enc(3, 3, 14, 2, 2), "CNTP_CVAL_EL0"),
    (enc(3, 3, 14, 3, 0), "CNTV_TVAL_EL0"),
    (enc(3, 3, 14, 3, 1), "CNTV_CTL_EL0"),
    (enc(3, 3, 14, 3, 2), "CNTV_CVAL_EL0"),
    (enc(3, 3, 14, 15, 7), "PMCCFILTR_EL0"),
    (enc(2, 0, 0, 2, 2), "MDSCR_EL1"),
    (enc(2, 0, 1, 0, 4), "OSLAR_EL1"),
    (enc(2, 0, 1, 1, 4), "OSLSR_EL1"),
    (enc(2, 0, 1, 3, 4), "OSDLR_EL1"),
    (enc(2, 0, 7, 8, 6), "DBGCLAIMSET_EL1"),
    (enc(2, 0, 7, 9, 6), "DBGCLAIMCLR_EL1"),
    (enc(2, 0, 7, 14, 6), "DBGAUTHSTATUS_EL1"),
    (enc(2, 3, 0, 1, 0), "MDCCSR_EL0"),
    (enc(1, 0, 7, 6, 2), "DC_ISW"),
    (enc(1, 0, 7, 10, 2), "DC_CSW"),
    (enc(1, 0, 7, 14, 2), "DC_CISW"),
];

/// A trapped register access's fields, from its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SysregKey {
    op0: u32,
    op1: u32,
    crn: u32,
    crm: u32,
    op2: u32,
    read: bool,
}

impl SysregKey {
    /// The fields of an MSR/MRS key (ESR_ELx.ISS for EC 0x18).
    fn of_sys64(key: u32) -> SysregKey {
        SysregKey {
            op0: key >> 20 & 0x3,
            op2: key >> 17 & 0x7,
            op1: key >> 14 & 0x7,
            crn: key >> 10 & 0xf,
            crm: key >> 1 & 0xf,
            read: key & 1 != 0,
        }
    }

    fn name(&self) -> Option<&'static str> {
        let e = enc(self.op0, self.op1, self.crn, self.crm, self.op2);
        SYSREGS.iter().find(|(x, _)| *x == e).map(|(_, n)| *n)
    }
}

/// What a breakdown row's `key` column shows: the name, or the encoding.
pub(crate) struct KeyName {
    row: ExitType,
    key: u32,
}

/// What its `detail` column shows.
pub(crate) struct KeyDetail {
    row: ExitType,
    key: u32,
}

/// The two columns that name `key`, a key of row `row`.
pub(crate) fn key_columns(row: ExitType, key: u32) -> (KeyName, KeyDetail) {
    (KeyName { row, key }, KeyDetail { row, key })
}

impl Display for KeyName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.key;
        let mut s = super::text_buf::TextBuf::<48>::new();
        use fmt::Write;
        match self.row {
            Sys64 | Sys64Ipi => {
                let r = SysregKey::of_sys64(k);
                match r.name() {
                    Some(n) => s.write_str(n)?,
                    None => write!(s, "S{}_{}_C{}_C{}_{}", r.op0, r.op1, r.crn, r.crm, r.op2)?,
                }
            }
            // MCR/MRC: Opc2, Opc1, CRn, CRm.
            Cp15_32 | Cp14Mr => write!(
                s,
                "{}_{}_C{}_C{}_{}",
                if self.row == Cp15_32 { "p15" } else { "p14" },
                k >> 14 & 0x7,
                k >> 10 & 0xf,
                k >> 1 & 0xf,
                k >> 17 & 0x7
            )?,
            // MCRR/MRRC: Opc1, CRm.
            Cp15_64 | Cp14_64 => write!(
                s,
                "{}_{}_C{}",
                if self.row == Cp15_64 { "p15" } else { "p14" },
                k >> 16 & 0xf,
                k >> 1 & 0xf
            )?,
            Hvc32 | Hvc64 | Smc32 | Smc64 => match smccc_name(k) {
                Some(n) => s.write_str(n)?,
                None => write!(s, "0x{k:08x}")?,
            },
            DabtIoMem | DabtIoMemIpi | DabtIoUser => write!(
                s,
                "{}@0x{:x}",
                MmioDevice::from_bits(k >> mmio_key::DEVICE_SHIFT).name(),
                u64::from(k & ((1 << mmio_key::REGION_BITS) - 1)) << mmio_key::REGION_SHIFT
            )?,
            Wfx => s.write_str(match k & 0b11 {
                0 => "WFI",
                1 => "WFE",
                2 => "WFIT",
                _ => "WFET",
            })?,
            _ => write!(s, "{k}")?,
        }
        f.pad(s.as_str())
    }
}

impl Display for KeyDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = super::text_buf::TextBuf::<16>::new();
        use fmt::Write;
        match Breakdown::of(self.row) {
            // The direction bit is bit 0 of every register trap's ISS.
            Some(Breakdown::Sysregs) if self.row != Cp14Ls => {
                s.write_str(if self.key & 1 != 0 { "read" } else { "write" })?
            }
            Some(Breakdown::Hypercalls) => write!(s, "0x{:08x}", self.key)?,
            Some(Breakdown::Mmio) => write!(
                s,
                "{}{}",
                if self.key & mmio_key::WRITE != 0 {
                    "write"
                } else {
                    "read"
                },
                1u32 << (self.key >> mmio_key::SIZE_SHIFT & 0b11)
            )?,
            _ => s.write_str("-")?,
        }
        f.pad(s.as_str())
    }
}

/// The SMCCC functions KVM implements or forwards, by function ID: Arm
/// architecture calls (SMCCC 1.1+), PSCI 0.2-1.3 (32- and 64-bit IDs),
/// TRNG, paravirtualised time and KVM's vendor hypercalls.
fn smccc_name(id: u32) -> Option<&'static str> {
    Some(match id {
        0x8000_0000 => "SMCCC_VERSION",
        0x8000_0001 => "SMCCC_ARCH_FEATURES",
        0x8000_0002 => "SMCCC_ARCH_SOC_ID",
        0x8000_8000 => "SMCCC_ARCH_WORKAROUND_1",
        0x8000_7fff => "SMCCC_ARCH_WORKAROUND_2",
        0x8000_3fff => "SMCCC_ARCH_WORKAROUND_3",
        0x8400_0000 => "PSCI_VERSION",
        0x8400_0001 | 0xc400_0001 => "PSCI_CPU_SUSPEND",
        0x8400_0002 => "PSCI_CPU_OFF",
        0x8400_0003 | 0xc400_0003 => "PSCI_CPU_ON",
        0x8400_0004 | 0xc400_0004 => "PSCI_AFFINITY_INFO",
        0x8400_0005 | 0xc400_0005 => "PSCI_MIGRATE",
        0x8400_0006 => "PSCI_MIGRATE_INFO_TYPE",
        0x8400_0007 | 0xc400_0007 => "PSCI_MIGRATE_INFO_UP_CPU",
        0x8400_0008 => "PSCI_SYSTEM_OFF",
        0x8400_0009 => "PSCI_SYSTEM_RESET",
        0x8400_000a => "PSCI_FEATURES",
        0x8400_000e | 0xc400_000e => "PSCI_SYSTEM_SUSPEND",
        0x8400_0012 | 0xc400_0012 => "PSCI_SYSTEM_RESET2",
        0x8400_0015 | 0xc400_0015 => "PSCI_SYSTEM_OFF2",
        0x8400_0050 => "TRNG_VERSION",
        0x8400_0051 => "TRNG_FEATURES",
        0x8400_0052 => "TRNG_GET_UUID",
        0x8400_0053 => "TRNG_RND32",
        0xc400_0053 => "TRNG_RND64",
        0xc500_0020 => "PV_TIME_FEATURES",
        0xc500_0021 => "PV_TIME_ST",
        0x8600_ff01 => "KVM_VENDOR_HYP_CALL_UID",
        0x8600_0000 => "KVM_FEATURES",
        0x8600_0001 => "KVM_PTP",
        _ => return None,
    })
}
