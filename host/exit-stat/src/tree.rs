// SPDX-License-Identifier: GPL-2.0

//! A whole tree of the module's files, read at once: the live debugfs
//! directory or a copy of it (`--root`).

use crate::error::{Error, Result};
use crate::layout::{breakdown, Breakdown, Control, Histogram, Ipi, ParseError, Table};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const DEFAULT_ROOT: &str = "/sys/kernel/debug/kvm_exit_timing";

/// Where the module's files are.
#[derive(clap::Args, Clone)]
pub struct RootArg {
    /// The module's debugfs directory, or a copy of it taken elsewhere.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_ROOT)]
    pub root: PathBuf,
}

/// The breakdown files that exist in one directory, by kind.
pub type Breakdowns = BTreeMap<String, Breakdown>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vcpu {
    /// KVM's vcpu_id.
    pub id: u32,
    pub stats: Table,
    pub histogram: Option<Histogram>,
    pub breakdowns: Breakdowns,
    pub ipi: Option<Ipi>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vm {
    /// The directory's name: `<pid>-<fd>` as KVM names it, or `vm<N>`.
    pub name: String,
    pub summary: Table,
    pub breakdowns: Breakdowns,
    pub ipi: Option<Ipi>,
    pub vcpus: Vec<Vcpu>,
}

/// Every file of a tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was read: milliseconds since the Unix epoch (0 if unknown).
    pub unix_ms: u64,
    pub root: String,
    pub control: Option<Control>,
    /// Every VM since the last reset, destroyed ones included.
    pub summary: Table,
    pub breakdowns: Breakdowns,
    pub ipi: Option<Ipi>,
    pub vms: Vec<Vm>,
}

impl Snapshot {
    pub fn vm(&self, name: &str) -> Option<&Vm> {
        self.vms.iter().find(|v| v.name == name)
    }

    /// The module's version (the layout's).
    pub fn version(&self) -> &str {
        &self.summary.header.version
    }
}

/// Checks that `root` can be read, telling why not: debugfs missing,
/// module not loaded, not root.
pub fn check_root(root: &Path) -> Result<()> {
    match std::fs::read_dir(root) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            Err(Error::NotPermitted(root.into()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if root != Path::new(DEFAULT_ROOT) {
                return Err(Error::NoRoot(root.into()));
            }
            let debugfs = root.parent().unwrap_or(root);
            match std::fs::read_dir(debugfs) {
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                    Err(Error::NotPermitted(debugfs.into()))
                }
                // An unmounted debugfs is an empty directory of sysfs.
                Ok(mut entries) => match entries.next() {
                    Some(_) => Err(Error::ModuleNotLoaded(root.into())),
                    None => Err(Error::DebugfsNotMounted(debugfs.into())),
                },
                Err(_) => Err(Error::DebugfsNotMounted(debugfs.into())),
            }
        }
        Err(e) => Err(Error::io(root, e)),
    }
}

/// Reads the tree at `root`. VMs that go away while it is read are left
/// out (their exits are in the global summary).
pub fn read(root: &Path) -> Result<Snapshot> {
    check_root(root)?;
    let unix_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let control = optional(&root.join("control"), Control::parse)?;
    let summary = required(&root.join("summary"), Table::parse)?;
    let breakdowns = read_breakdowns(root)?;
    let ipi = optional(&root.join("ipi"), Ipi::parse)?;
    let mut vms = Vec::new();
    for dir in subdirs(root)? {
        match read_vm(&dir) {
            Ok(vm) => vms.push(vm),
            // Destroyed while it was read: its files vanish (ENOENT) or
            // fail (debugfs gives EIO for a file removed while open). Its
            // name can already be a new VM's (the same pid and fd).
            Err(Error::Io { err, .. }) if gone(&err) => {}
            Err(e) => return Err(e),
        }
    }
    vms.sort_by_key(|v| vm_order(&v.name));
    Ok(Snapshot {
        unix_ms,
        root: root.display().to_string(),
        control,
        summary,
        breakdowns,
        ipi,
        vms,
    })
}

/// Whether a read failed because its file was removed: ENOENT, or EIO,
/// which debugfs returns for a file removed while open.
fn gone(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::NotFound || err.raw_os_error() == Some(EIO)
}

const EIO: i32 = 5;

/// VMs in the order of their pid and fd, numerically.
fn vm_order(name: &str) -> (u64, u64, String) {
    let mut parts = name.splitn(2, '-');
    let pid = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u64::MAX);
    let fd = parts
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(u64::MAX);
    (pid, fd, name.to_owned())
}

fn read_vm(dir: &Path) -> Result<Vm> {
    let name = file_name(dir);
    let summary = required(&dir.join("summary"), Table::parse)?;
    let breakdowns = read_breakdowns(dir)?;
    let ipi = optional(&dir.join("ipi"), Ipi::parse)?;
    let mut vcpus = Vec::new();
    for sub in subdirs(dir)? {
        let Some(id) = file_name(&sub)
            .strip_prefix("vcpu")
            .and_then(|n| n.parse().ok())
        else {
            continue;
        };
        let stats = match required(&sub.join("stats"), Table::parse) {
            Ok(s) => s,
            Err(Error::Io { err, .. }) if gone(&err) => continue,
            Err(e) => return Err(e),
        };
        vcpus.push(Vcpu {
            id,
            stats,
            histogram: optional(&sub.join("histogram"), Histogram::parse)?,
            breakdowns: read_breakdowns(&sub)?,
            ipi: optional(&sub.join("ipi"), Ipi::parse)?,
        });
    }
    vcpus.sort_by_key(|v| v.id);
    Ok(Vm {
        name,
        summary,
        breakdowns,
        ipi,
        vcpus,
    })
}

fn read_breakdowns(dir: &Path) -> Result<Breakdowns> {
    let mut out = Breakdowns::new();
    for kind in breakdown::KINDS {
        if let Some(b) = optional(&dir.join(kind), Breakdown::parse)? {
            out.insert(kind.to_owned(), b);
        }
    }
    Ok(out)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn subdirs(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            out.push(entry.path());
        }
    }
    Ok(out)
}

/// Reads and parses one file.
pub fn parse_file<T>(
    path: &Path,
    parse: fn(&str) -> std::result::Result<T, ParseError>,
) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(&text).map_err(|e| Error::BadFile {
        path: path.into(),
        what: e.to_string(),
    })
}

fn required<T>(path: &Path, parse: fn(&str) -> std::result::Result<T, ParseError>) -> Result<T> {
    parse_file(path, parse)
}

fn optional<T>(
    path: &Path,
    parse: fn(&str) -> std::result::Result<T, ParseError>,
) -> Result<Option<T>> {
    match parse_file(path, parse) {
        Ok(v) => Ok(Some(v)),
        Err(Error::Io { err, .. }) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}
