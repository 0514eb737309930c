// SPDX-License-Identifier: GPL-2.0

//! The header every file starts with: `# kvm_exit_timing <version>
//! <kind>`, then `# key: value` lines.

use super::lines::Lines;
use super::ParseError;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// The layout versions this tool reads: 0.3.0 and later 0.3 releases,
/// which may only add header keys (0.3.1 added `forwarded`).
pub const KNOWN_LAYOUT: &str = "0.3";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// The module's version, which is the layout's.
    pub version: String,
    /// `stats`, `summary`, `histogram`, `sysregs`, ... , `ipi`, `control`.
    pub kind: String,
    /// Every `# key: value` line, in file order, unknown keys included.
    pub keys: IndexMap<String, String>,
}

impl Header {
    /// Reads the first line and the `# key: value` lines after it; stops
    /// at the first line that is not one (a `# ` line without a key, or
    /// the column names).
    pub fn parse(lines: &mut Lines<'_>) -> Result<Header, ParseError> {
        let (version, kind) = first_line(lines)?;
        let mut keys = IndexMap::new();
        while let Some(line) = lines.peek() {
            let Some((key, value)) = key_value(line) else {
                break;
            };
            lines.next();
            keys.insert(key.to_owned(), value.to_owned());
        }
        Ok(Header {
            version,
            kind,
            keys,
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }

    /// `frequency: N Hz ...`: the clock's ticks per second.
    pub fn frequency_hz(&self) -> Option<u64> {
        self.get("frequency")?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    }

    /// `interval: S s since reset (T ticks...)`: T, on the generic counter.
    pub fn interval_ticks(&self) -> Option<u64> {
        let v = self.get("interval")?;
        let (_, after) = v.split_once('(')?;
        after.split_whitespace().next()?.parse().ok()
    }

    /// `interval: S s since reset ...`: S in microseconds.
    pub fn interval_us(&self) -> Option<u64> {
        let s = self.get("interval")?.split_whitespace().next()?;
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        let mut frac = frac.to_owned();
        frac.truncate(6);
        while frac.len() < 6 {
            frac.push('0');
        }
        Some(whole.parse::<u64>().ok()? * 1_000_000 + frac.parse::<u64>().ok()?)
    }

    pub fn unit(&self) -> &str {
        self.get("unit").unwrap_or("ticks")
    }
}

fn first_line(lines: &mut Lines<'_>) -> Result<(String, String), ParseError> {
    let line = lines.expect("the header")?;
    let mut words = line.split_whitespace();
    if words.next() != Some("#") || words.next() != Some("kvm_exit_timing") {
        return Err(lines.error(
            "not a kvm_exit_timing file: the first line is not '# kvm_exit_timing VERSION KIND'",
        ));
    }
    let (Some(version), Some(kind), None) = (words.next(), words.next(), words.next()) else {
        return Err(lines.error("the first line is not '# kvm_exit_timing VERSION KIND'"));
    };
    if !layout_known(version) {
        return Err(lines.error(format!(
            "layout version {version} is unknown: this kvm-exit-stat reads {KNOWN_LAYOUT}.x"
        )));
    }
    Ok((version.to_owned(), kind.to_owned()))
}

/// Whether `version` is a 0.3 release (`0.3.N`).
pub fn layout_known(version: &str) -> bool {
    version
        .strip_prefix(KNOWN_LAYOUT)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()))
}

/// `# key: value`, a key being one word of lower case letters, digits and
/// underscores.
fn key_value(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("# ")?;
    let (key, value) = rest.split_once(": ")?;
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some((key, value.trim_end()))
}
