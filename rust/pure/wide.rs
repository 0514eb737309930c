// SPDX-License-Identifier: GPL-2.0

//! Integer arithmetic wider than 64 bits, for the read side.
//!
//! The kernel links no 128-bit division or variable 128-bit shift (the
//! builtins panic), so everything here is built from 64-bit operations,
//! 64x64->128-bit multiplies, 128-bit additions and constant shifts.
//! None of it runs on the per-exit path.

use super::text_buf::TextBuf;
use core::fmt;

/// `n / d` and `n % d` for 128-bit values, by shift and subtract.
/// Panics if `d` is 0, like the `/` operator.
pub(crate) fn div_rem_u128(n: u128, d: u128) -> (u128, u128) {
    assert!(d != 0, "division by zero");
    if n < d {
        return (0, n);
    }
    if (n >> 64) == 0 {
        let (n, d) = (n as u64, d as u64);
        return ((n / d) as u128, (n % d) as u128);
    }
    let (mut quotient, mut rem, mut rest) = (0u128, 0u128, n);
    for _ in 0..128 {
        // rem < d, so rem * 2 + 1 < 2 * d: one subtraction suffices, and
        // the bit shifted out of rem (possible when d > 2^127) means
        // rem * 2 + 1 >= 2^128 > d.
        let carry = rem >> 127;
        rem = (rem << 1) | (rest >> 127);
        rest <<= 1;
        quotient <<= 1;
        if carry != 0 || rem >= d {
            rem = rem.wrapping_sub(d);
            quotient |= 1;
        }
    }
    (quotient, rem)
}

/// Floor of the square root of `n`.
pub(crate) fn isqrt_u128(mut n: u128) -> u64 {
    let mut root = 0u128;
    let mut bit = 1u128 << 126;
    while bit > n {
        bit >>= 2;
    }
    while bit != 0 {
        if n >= root + bit {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root as u64
}

/// An unsigned 256-bit integer, least significant limb first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct U256(pub(crate) [u64; 4]);

impl U256 {
    pub(crate) const ZERO: U256 = U256([0; 4]);

    pub(crate) const fn from_u128(v: u128) -> U256 {
        U256([v as u64, (v >> 64) as u64, 0, 0])
    }

    /// The full product of two 128-bit values.
    pub(crate) fn mul_u128(a: u128, b: u128) -> U256 {
        let a = [a as u64, (a >> 64) as u64];
        let b = [b as u64, (b >> 64) as u64];
        let mut out = [0u64; 4];
        for (i, &x) in a.iter().enumerate() {
            let mut carry = 0u128;
            for (j, &y) in b.iter().enumerate() {
                let t = (x as u128) * (y as u128) + out[i + j] as u128 + carry;
                out[i + j] = t as u64;
                carry = t >> 64;
            }
            out[i + 2] = carry as u64;
        }
        U256(out)
    }

    /// `self + other`, or `None` on overflow.
    pub(crate) fn checked_add(self, other: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, o) in out.iter_mut().enumerate() {
            let t = self.0[i] as u128 + other.0[i] as u128 + carry;
            *o = t as u64;
            carry = t >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    /// `self - other`, or `None` if `other` is larger.
    pub(crate) fn checked_sub(self, other: U256) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut borrow = 0u64;
        for (i, o) in out.iter_mut().enumerate() {
            let (d1, b1) = self.0[i].overflowing_sub(other.0[i]);
            let (d2, b2) = d1.overflowing_sub(borrow);
            *o = d2;
            borrow = (b1 | b2) as u64;
        }
        (borrow == 0).then_some(U256(out))
    }

    /// `self * m`, or `None` on overflow.
    pub(crate) fn checked_mul_u64(self, m: u64) -> Option<U256> {
        let mut out = [0u64; 4];
        let mut carry = 0u128;
        for (i, o) in out.iter_mut().enumerate() {
            let t = (self.0[i] as u128) * (m as u128) + carry;
            *o = t as u64;
            carry = t >> 64;
        }
        (carry == 0).then_some(U256(out))
    }

    /// `self / d` if the quotient fits in 128 bits. Panics if `d` is 0.
    pub(crate) fn div_u128(self, d: u128) -> Option<u128> {
        assert!(d != 0, "division by zero");
        if self.0[2] == 0 && self.0[3] == 0 {
            // The usual case on the read side: faster, and native below 2^64.
            return Some(div_rem_u128(self.0[0] as u128 | (self.0[1] as u128) << 64, d).0);
        }
        let d = U256::from_u128(d);
        let mut rem = U256::ZERO;
        let mut quotient = U256::ZERO;
        // Bits above the highest non-zero limb add nothing.
        let limbs = if self.0[3] != 0 { 4 } else { 3 };
        for bit in (0..64 * limbs).rev() {
            let top = self.0[bit / 64] >> (bit % 64) & 1;
            rem = rem.shl1();
            rem.0[0] |= top;
            quotient = quotient.shl1();
            if let Some(r) = rem.checked_sub(d) {
                rem = r;
                quotient.0[0] |= 1;
            }
        }
        (quotient.0[2] == 0 && quotient.0[3] == 0)
            .then_some(quotient.0[0] as u128 | (quotient.0[1] as u128) << 64)
    }

    fn shl1(self) -> U256 {
        let l = self.0;
        U256([
            l[0] << 1,
            l[1] << 1 | l[0] >> 63,
            l[2] << 1 | l[1] >> 63,
            l[3] << 1 | l[2] >> 63,
        ])
    }
}

/// `n / d` and `n % d` for a divisor below 2^32, 32 bits at a time.
fn div_rem_small(n: u128, d: u32) -> (u128, u32) {
    let d = d as u64;
    let mut quotient = 0u128;
    let mut rem = 0u64;
    for shift in [96u32, 64, 32, 0] {
        let limb = match shift {
            96 => (n >> 96) as u64 & 0xffff_ffff,
            64 => (n >> 64) as u64 & 0xffff_ffff,
            32 => (n >> 32) as u64 & 0xffff_ffff,
            _ => n as u64 & 0xffff_ffff,
        };
        let cur = rem << 32 | limb;
        quotient = quotient << 32 | (cur / d) as u128;
        rem = cur % d;
    }
    (quotient, rem as u32)
}

/// Displays a `u128` in decimal without 128-bit division. Honours the
/// formatter's width and alignment like an integer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dec(pub(crate) u128);

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const CHUNK: u32 = 1_000_000_000;
        // u128::MAX has 39 digits: at most five 9-digit chunks.
        let mut chunks = [0u32; 5];
        let (mut n, mut len) = (self.0, 0);
        loop {
            let (q, r) = div_rem_small(n, CHUNK);
            chunks[len] = r;
            len += 1;
            n = q;
            if n == 0 {
                break;
            }
        }
        let mut buf = [0u8; 45];
        let mut pos = 0;
        for (k, &c) in chunks[..len].iter().rev().enumerate() {
            let mut digits = [0u8; 9];
            let mut c = c;
            for d in digits.iter_mut().rev() {
                *d = b'0' + (c % 10) as u8;
                c /= 10;
            }
            // The leading chunk has no leading zeros.
            let skip = if k == 0 {
                digits.iter().take(8).take_while(|&&d| d == b'0').count()
            } else {
                0
            };
            buf[pos..pos + 9 - skip].copy_from_slice(&digits[skip..]);
            pos += 9 - skip;
        }
        // Only ASCII digits were written.
        let s = core::str::from_utf8(&buf[..pos]).map_err(|_| fmt::Error)?;
        f.pad_integral(true, "", s)
    }
}

/// A fixed-point decimal: `value / 10^decimals`, displayed with exactly
/// `decimals` digits after the point.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fixed {
    pub(crate) scaled: u128,
    pub(crate) decimals: u32,
}

impl Fixed {
    /// `num / den` rounded down to `decimals` decimal places (0 if `den`
    /// is 0), saturating if it does not fit.
    pub(crate) fn ratio(num: u128, den: u128, decimals: u32) -> Fixed {
        Fixed::ratio_wide(U256::from_u128(num), den, decimals)
    }

    /// [`Fixed::ratio`] with a 256-bit numerator.
    pub(crate) fn ratio_wide(num: U256, den: u128, decimals: u32) -> Fixed {
        let scaled = if den == 0 {
            0
        } else {
            num.checked_mul_u64(10u64.pow(decimals))
                .and_then(|n| n.div_u128(den))
                .unwrap_or(u128::MAX)
        };
        Fixed { scaled, decimals }
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Render into a buffer first so that width and alignment apply to
        // the whole number.
        let mut buf = TextBuf::<64>::new();
        let (int, frac) = div_rem_u128(self.scaled, 10u128.pow(self.decimals));
        fmt::write(&mut buf, format_args!("{}", Dec(int)))?;
        if self.decimals > 0 {
            fmt::write(
                &mut buf,
                format_args!(".{:0width$}", Dec(frac), width = self.decimals as usize),
            )?;
        }
        f.pad_integral(true, "", buf.as_str())
    }
}
