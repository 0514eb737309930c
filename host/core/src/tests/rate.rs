// SPDX-License-Identifier: GPL-2.0

//! The rate between the timing clock and the generic counter.

use crate::pure::rate::Rate;
use proptest::prelude::*;

#[test]
fn qemu_cycles_at_icount() {
    // 1 GHz cycles beside the 62.5 MHz counter, 10 ms measured.
    let r = Rate::measured(10_000_000, 625_000).unwrap();
    assert_eq!(r.hz(62_500_000), 1_000_000_000);
    assert_eq!(r.units(625_000), 10_000_000);
    assert_eq!(Rate::ONE.units(12345), 12345);
    assert_eq!(Rate::ONE.hz(62_500_000), 62_500_000);
}

#[test]
fn unusable_measurements() {
    assert_eq!(Rate::measured(5, 0), None);
    assert_eq!(Rate::measured(0, 5), None);
    assert_eq!(Rate::measured(u64::MAX, 1), None);
}

proptest! {
    #[test]
    fn units_round_down_within_one(cycles in 1u64..1 << 40, ticks in 1u64..1 << 30, t in 0u64..1 << 40) {
        prop_assume!(cycles / ticks < 1 << 31);
        let r = Rate::measured(cycles, ticks).unwrap();
        let exact = u128::from(t) * u128::from(cycles) / u128::from(ticks);
        let got = u128::from(r.units(t));
        // The ratio is rounded to 2^-33; t x that error is the slack.
        let slack = (u128::from(t) >> 32) + 1;
        prop_assert!(got + slack >= exact && got <= exact + slack, "{got} vs {exact}");
    }

    #[test]
    fn units_saturate(t in 1u64 << 33..) {
        prop_assert_eq!(Rate::from_bits(u64::MAX).units(t), u64::MAX);
    }
}
