// SPDX-License-Identifier: GPL-2.0

//! The recording file `record` writes and `report`, `diff` and `plot`
//! read: JSON lines, self-describing. The first line says what it is and
//! how it was taken; each further line is one snapshot of the whole tree
//! (the very structure `snapshot --format json` prints).
//!
//! ```text
//! {"recording":{"format":"kvm-exit-stat recording","format_version":1,"module_version":"0.3.1",...}}
//! {"snapshot":{"unix_ms":...,"root":...,"summary":{...},"vms":[...]}}
//! ```

use crate::error::{Error, Result};
use crate::tree::Snapshot;
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;

pub const FORMAT: &str = "kvm-exit-stat recording";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Description {
    pub format: String,
    pub format_version: u32,
    pub module_version: String,
    pub clock: String,
    pub unit: String,
    pub frequency_hz: u64,
    pub root: String,
    pub interval_ms: u64,
    /// The command recorded, if any.
    pub command: Vec<String>,
    pub tool_version: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Line {
    Recording(Description),
    Snapshot(Box<Snapshot>),
}

pub struct Writer {
    file: std::io::BufWriter<std::fs::File>,
    path: std::path::PathBuf,
}

impl Writer {
    pub fn create(path: &Path, d: &Description) -> Result<Writer> {
        let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
        let mut w = Writer {
            file: std::io::BufWriter::new(file),
            path: path.into(),
        };
        w.line(&Line::Recording(d.clone()))?;
        Ok(w)
    }

    /// Appends a snapshot, flushed at once: a killed recorder loses
    /// nothing it had read.
    pub fn snapshot(&mut self, s: &Snapshot) -> Result<()> {
        self.line(&Line::Snapshot(Box::new(s.clone())))
    }

    fn line(&mut self, l: &Line) -> Result<()> {
        let text = serde_json::to_string(l).expect("a recording line serializes");
        writeln!(self.file, "{text}")
            .and_then(|_| self.file.flush())
            .map_err(|e| Error::io(&self.path, e))
    }
}

pub struct Recording {
    pub description: Description,
    pub snapshots: Vec<Snapshot>,
}

/// Reads a recording. A last line cut short (the recorder killed while
/// writing it) is left out; any other bad line is an error.
pub fn read(path: &Path) -> Result<Recording> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |line: usize, what: String| Error::BadFile {
        path: path.into(),
        what: format!("line {line}: {what}"),
    };
    let mut lines: Vec<String> = Vec::new();
    for l in std::io::BufReader::new(file).lines() {
        lines.push(l.map_err(|e| Error::io(path, e))?);
    }
    let mut description = None;
    let mut snapshots = Vec::new();
    let n = lines.len();
    for (i, text) in lines.iter().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(text) {
            Ok(l) => l,
            Err(_) if i + 1 == n && i > 0 && !text.ends_with('}') => break,
            Err(e) => return Err(bad(i + 1, format!("not a recording line: {e}"))),
        };
        match (line, &description) {
            (Line::Recording(d), None) if i == 0 => {
                if d.format != FORMAT || d.format_version != FORMAT_VERSION {
                    return Err(bad(1, format!(
                        "a '{}' file, version {}: this kvm-exit-stat reads '{FORMAT}' version {FORMAT_VERSION}",
                        d.format, d.format_version
                    )));
                }
                if !crate::layout::header::layout_known(&d.module_version) {
                    return Err(bad(1, format!(
                        "recorded from module layout {}, unknown to this kvm-exit-stat (it reads {}.x)",
                        d.module_version,
                        crate::layout::header::KNOWN_LAYOUT
                    )));
                }
                description = Some(d);
            }
            (Line::Snapshot(s), Some(_)) => snapshots.push(*s),
            _ => {
                return Err(bad(
                    i + 1,
                    "a recording starts with one description line, then snapshots".to_owned(),
                ))
            }
        }
    }
    let description = description.ok_or_else(|| bad(1, "empty: not a recording".to_owned()))?;
    if snapshots.is_empty() {
        return Err(bad(n, "the recording holds no snapshot".to_owned()));
    }
    Ok(Recording {
        description,
        snapshots,
    })
}

/// A recording, or a tree (a directory: the module's or a copy) read as a
/// recording of one snapshot.
pub fn read_any(path: &Path) -> Result<Recording> {
    if path.is_dir() {
        let s = crate::tree::read(path)?;
        return Ok(Recording {
            description: describe(&s, 0, Vec::new()),
            snapshots: vec![s],
        });
    }
    read(path)
}

pub fn describe(s: &Snapshot, interval_ms: u64, command: Vec<String>) -> Description {
    let h = &s.summary.header;
    Description {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        module_version: h.version.clone(),
        clock: h.get("clock").unwrap_or("").to_owned(),
        unit: h.unit().to_owned(),
        frequency_hz: h.frequency_hz().unwrap_or(0),
        root: s.root.clone(),
        interval_ms,
        command,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
