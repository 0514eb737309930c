// SPDX-License-Identifier: GPL-2.0

//! How many units of the timing clock one tick of the generic counter is
//! worth: 1 for the counter itself, about 16 for QEMU's cycle counter at
//! 62.5 MHz, 80 for a 2 GHz Cortex-A72 beside the LS2080's 25 MHz counter.
//!
//! The cycle clock cannot time what happens off a CPU (its counters differ
//! from CPU to CPU, and stop in WFI on real silicon): a vCPU thread's time
//! switched out or in user space is measured on the counter and converted
//! at this rate.

/// A fixed-point ratio, 32 fractional bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rate(u64);

impl Rate {
    const FRACTION_BITS: u32 = 32;

    /// The counter's own rate.
    pub(crate) const ONE: Rate = Rate(1 << Self::FRACTION_BITS);

    /// `units` of the clock counted over `ticks` of the counter; `None`
    /// if `units` or `ticks` is 0 or the ratio is 2^32 or more. In 64-bit
    /// arithmetic: the kernel has no 128-bit division.
    pub(crate) fn measured(mut units: u64, mut ticks: u64) -> Option<Rate> {
        while ticks >= 1 << Self::FRACTION_BITS {
            ticks >>= 1;
            units >>= 1;
        }
        if ticks == 0 {
            return None;
        }
        let whole = units / ticks;
        if whole >= 1 << Self::FRACTION_BITS {
            return None;
        }
        // `rest < ticks < 2^32`: shifted, it fits. Rounded to nearest.
        let rest = units % ticks;
        let fraction = ((rest << Self::FRACTION_BITS) + ticks / 2) / ticks;
        let q = (whole << Self::FRACTION_BITS) + fraction;
        (q != 0).then_some(Rate(q))
    }

    /// From its raw bits, as [`Self::bits`] returned them.
    pub(crate) const fn from_bits(bits: u64) -> Rate {
        Rate(bits)
    }

    pub(crate) const fn bits(self) -> u64 {
        self.0
    }

    /// `ticks` of the counter in units of the clock, rounded down,
    /// saturating.
    #[inline]
    pub(crate) fn units(self, ticks: u64) -> u64 {
        let u = (u128::from(ticks) * u128::from(self.0)) >> Self::FRACTION_BITS;
        u64::try_from(u).unwrap_or(u64::MAX)
    }

    /// The clock's frequency, given the counter's: rounded to nearest.
    pub(crate) fn hz(self, counter_hz: u64) -> u64 {
        let half = 1u128 << (Self::FRACTION_BITS - 1);
        let hz = (u128::from(counter_hz) * u128::from(self.0) + half) >> Self::FRACTION_BITS;
        u64::try_from(hz).unwrap_or(u64::MAX)
    }
}
