// SPDX-License-Identifier: GPL-2.0

//! Wide arithmetic against native 128-bit and arbitrary-precision integers.

use crate::pure::wide::*;
use num_bigint::BigUint;
use proptest::prelude::*;
use std::format;
use std::string::ToString;

fn big(v: U256) -> BigUint {
    let mut n = BigUint::default();
    for limb in v.0.iter().rev() {
        n = (n << 64u32) + BigUint::from(*limb);
    }
    n
}

fn from_big(n: &BigUint) -> Option<U256> {
    let digits = n.to_u64_digits();
    if digits.len() > 4 {
        return None;
    }
    let mut limbs = [0u64; 4];
    limbs[..digits.len()].copy_from_slice(&digits);
    Some(U256(limbs))
}

fn any_u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<[u64; 4]>().prop_map(U256),
        any::<u128>().prop_map(U256::from_u128),
        Just(U256([u64::MAX; 4])),
        Just(U256::ZERO),
    ]
}

fn wide_u128() -> impl Strategy<Value = u128> {
    prop_oneof![
        any::<u128>(),
        any::<u64>().prop_map(u128::from),
        1u128..1000,
        Just(u128::MAX)
    ]
}

#[test]
fn edges() {
    assert_eq!(div_rem_u128(u128::MAX, 1), (u128::MAX, 0));
    assert_eq!(div_rem_u128(u128::MAX, u128::MAX), (1, 0));
    assert_eq!(div_rem_u128(u128::MAX - 1, u128::MAX), (0, u128::MAX - 1));
    assert_eq!(div_rem_u128(u128::MAX, 1 << 127), (1, (1 << 127) - 1));
    assert_eq!(isqrt_u128(0), 0);
    assert_eq!(isqrt_u128(u128::MAX), u64::MAX);
    assert_eq!(U256([u64::MAX; 4]).checked_add(U256::from_u128(1)), None);
    assert_eq!(U256::ZERO.checked_sub(U256::from_u128(1)), None);
    assert_eq!(
        U256([0, 0, 0, 1]).checked_mul_u64(1 << 63),
        Some(U256([0, 0, 0, 1 << 63]))
    );
    assert_eq!(U256([0, 0, 0, 2]).checked_mul_u64(1 << 63), None);
    assert_eq!(U256([0, 0, 1, 0]).div_u128(1), None);
    assert_eq!(U256([0, 0, 1, 0]).div_u128(2), Some(1 << 127));
}

#[test]
fn decimal_and_fixed_formatting() {
    assert_eq!(Dec(0).to_string(), "0");
    assert_eq!(Dec(1_000_000_000).to_string(), "1000000000");
    assert_eq!(Dec(u128::MAX).to_string(), u128::MAX.to_string());
    assert_eq!(format!("{:>8}|{:<5}|", Dec(42), Dec(7)), "      42|7    |");
    assert_eq!(Fixed::ratio(1, 3, 2).to_string(), "0.33");
    assert_eq!(Fixed::ratio(2, 1, 2).to_string(), "2.00");
    assert_eq!(Fixed::ratio(1, 0, 2).to_string(), "0.00");
    assert_eq!(Fixed::ratio(5, 100, 2).to_string(), "0.05");
    assert_eq!(Fixed::ratio(7, 2, 0).to_string(), "3");
    assert_eq!(
        Fixed::ratio(123_456_789, 1_000_000, 6).to_string(),
        "123.456789"
    );
    assert_eq!(format!("{:>7}", Fixed::ratio(1, 4, 2)), "   0.25");
    // Saturates rather than wrapping.
    assert_eq!(Fixed::ratio(u128::MAX, 1, 2).scaled, u128::MAX);
}

proptest! {
    #[test]
    fn div_rem_matches_native(n in wide_u128(), d in wide_u128()) {
        prop_assume!(d != 0);
        prop_assert_eq!(div_rem_u128(n, d), (n / d, n % d));
    }

    #[test]
    fn isqrt_is_the_floor(n in wide_u128()) {
        let r = isqrt_u128(n) as u128;
        prop_assert!(r * r <= n);
        prop_assert!((r + 1).checked_mul(r + 1).map_or(true, |s| s > n));
    }

    #[test]
    fn u256_matches_bigint(a in any_u256(), b in any_u256(), m in any::<u64>(), x in wide_u128(), y in wide_u128()) {
        prop_assert_eq!(a.checked_add(b), from_big(&(big(a) + big(b))));
        let diff = (big(a) >= big(b)).then(|| from_big(&(big(a) - big(b))).unwrap());
        prop_assert_eq!(a.checked_sub(b), diff);
        prop_assert_eq!(a.checked_mul_u64(m), from_big(&(big(a) * BigUint::from(m))));
        prop_assert_eq!(big(U256::mul_u128(x, y)), BigUint::from(x) * BigUint::from(y));
        prop_assume!(y != 0);
        let q = big(a) / BigUint::from(y);
        let want = (q.bits() <= 128).then(|| {
            let d = q.to_u64_digits();
            d.first().copied().unwrap_or(0) as u128 | (d.get(1).copied().unwrap_or(0) as u128) << 64
        });
        prop_assert_eq!(a.div_u128(y), want);
    }

    #[test]
    fn decimal_matches_native(v in wide_u128()) {
        prop_assert_eq!(Dec(v).to_string(), v.to_string());
    }

    #[test]
    fn fixed_matches_bigint(num in any::<u64>(), den in 1u64.., decimals in 0u32..7) {
        let f = Fixed::ratio(num as u128, den as u128, decimals);
        let scaled = BigUint::from(num) * BigUint::from(10u64.pow(decimals)) / BigUint::from(den);
        prop_assert_eq!(BigUint::from(f.scaled), scaled);
    }
}

#[test]
fn text_buffer_keeps_room_for_its_nul() {
    use crate::pure::text_buf::TextBuf;
    use core::fmt::Write;

    let mut b = TextBuf::<8>::new();
    assert!(write!(b, "vcpu{}", 12).is_ok());
    assert_eq!(b.as_str(), "vcpu12");
    assert_eq!(b.as_bytes_with_nul(), b"vcpu12\0");
    // "vcpu12" + "3" + NUL fits exactly; one more byte does not.
    assert!(b.write_str("3").is_ok());
    assert!(b.write_str("4").is_err());
    assert_eq!(b.as_bytes_with_nul(), b"vcpu123\0");
}
