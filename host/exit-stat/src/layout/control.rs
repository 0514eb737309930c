// SPDX-License-Identifier: GPL-2.0

//! `control`: the module's state, as `key: value` lines.

use super::header::Header;
use super::lines::Lines;
use super::ParseError;
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    pub header: Header,
    /// Every `key: value` line, in file order.
    pub state: IndexMap<String, String>,
}

impl Control {
    pub fn parse(text: &str) -> Result<Control, ParseError> {
        let mut lines = Lines::new(text);
        let header = Header::parse(&mut lines)?;
        if header.kind != "control" {
            return Err(lines.error(format!("a '{}' file, not control", header.kind)));
        }
        let mut state = IndexMap::new();
        while let Some(line) = lines.next() {
            if line.trim().is_empty() {
                continue;
            }
            let (k, v) = line
                .split_once(": ")
                .ok_or_else(|| lines.error(format!("'{line}' is not 'key: value'")))?;
            state.insert(k.to_owned(), v.to_owned());
        }
        Ok(Control { header, state })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.state.get(key).map(String::as_str)
    }
}
