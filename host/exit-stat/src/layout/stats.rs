// SPDX-License-Identifier: GPL-2.0

//! The statistics columns every table shares: `count min max avg total
//! stddev p50 p99 count/s total/s`.

use super::lines::{number, Lines};
use super::ParseError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The columns after a row's name (and a breakdown's key and detail).
pub const COLUMNS: [&str; 10] = [
    "count", "min", "max", "avg", "total", "stddev", "p50", "p99", "count/s", "total/s",
];

/// A decimal with two digits after the point, as the rate columns print
/// it, kept exactly: hundredths. In JSON it is a number, written as the
/// file writes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed2(pub u128);

impl Fixed2 {
    pub fn parse(s: &str) -> Option<Fixed2> {
        let (whole, frac) = s.split_once('.')?;
        if frac.len() != 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole = whole.parse::<u128>().ok()?;
        Some(Fixed2(
            whole
                .checked_mul(100)?
                .checked_add(frac.parse::<u128>().ok()?)?,
        ))
    }
}

impl std::fmt::Display for Fixed2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = format!("{}.{:02}", self.0 / 100, self.0 % 100);
        f.pad(&s)
    }
}

/// A number written as `text` says, digit for digit (serde_json's
/// arbitrary precision).
fn serialize_exact<S: Serializer>(text: String, s: S) -> Result<S::Ok, S::Error> {
    let n: serde_json::Number = text.parse().map_err(serde::ser::Error::custom)?;
    n.serialize(s)
}

/// A number's text, digit for digit.
fn deserialize_exact<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(serde_json::Number::deserialize(d)?.to_string())
}

impl Serialize for Fixed2 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_exact(self.to_string(), s)
    }
}

impl<'de> Deserialize<'de> for Fixed2 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = deserialize_exact(d)?;
        // An integer rate, as another tool may write it.
        let text = if text.contains('.') {
            text
        } else {
            format!("{text}.00")
        };
        Fixed2::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("bad rate {text}")))
    }
}

/// A 128-bit total. serde's buffering (of flattened structs) has no
/// 128-bit integers, so it goes through serde_json's arbitrary-precision
/// Number, exactly, as the file writes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Wide(pub u128);

impl Serialize for Wide {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serialize_exact(self.0.to_string(), s)
    }
}

impl<'de> Deserialize<'de> for Wide {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = deserialize_exact(d)?;
        text.parse()
            .map(Wide)
            .map_err(|_| serde::de::Error::custom(format!("bad total {text}")))
    }
}

/// One row's statistics, in the file's unit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    pub min: u64,
    pub max: u64,
    pub avg: u64,
    /// 128 bits in the module.
    pub total: Wide,
    pub stddev: u64,
    pub p50: u64,
    pub p99: u64,
    pub count_per_s: Fixed2,
    pub total_per_s: Fixed2,
}

impl Stats {
    /// Parses the 10 columns in `fields`.
    pub fn parse(lines: &Lines<'_>, fields: &[&str]) -> Result<Stats, ParseError> {
        if fields.len() != COLUMNS.len() {
            return Err(lines.error(format!(
                "{} statistics columns, expected {}",
                fields.len(),
                COLUMNS.len()
            )));
        }
        let rate = |i: usize| {
            Fixed2::parse(fields[i]).ok_or_else(|| {
                lines.error(format!(
                    "{} '{}' is not a decimal with two digits",
                    COLUMNS[i], fields[i]
                ))
            })
        };
        Ok(Stats {
            count: number(lines, fields[0], "count")?,
            min: number(lines, fields[1], "min")?,
            max: number(lines, fields[2], "max")?,
            avg: number(lines, fields[3], "avg")?,
            total: Wide(number(lines, fields[4], "total")?),
            stddev: number(lines, fields[5], "stddev")?,
            p50: number(lines, fields[6], "p50")?,
            p99: number(lines, fields[7], "p99")?,
            count_per_s: rate(8)?,
            total_per_s: rate(9)?,
        })
    }
}
