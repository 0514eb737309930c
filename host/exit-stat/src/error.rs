// SPDX-License-Identifier: GPL-2.0

//! What can go wrong, and the exit code each gives (README, "kvm-exit-stat").

use std::path::PathBuf;

/// Exit codes; 2 is clap's, for a bad command line.
pub mod code {
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const NO_TABLES: u8 = 3;
    pub const PERMISSION: u8 = 4;
    pub const BAD_FILE: u8 = 5;
    pub const NOT_FOUND: u8 = 6;
}

#[derive(Debug)]
pub enum Error {
    /// /sys/kernel/debug is not a mounted debugfs.
    DebugfsNotMounted(PathBuf),
    /// debugfs is there but kvm_exit_timing is not.
    ModuleNotLoaded(PathBuf),
    /// A --root that does not exist.
    NoRoot(PathBuf),
    /// Reading needs root (debugfs is 0700, the files 0400).
    NotPermitted(PathBuf),
    /// A file that does not parse, or in a layout this tool does not know.
    BadFile {
        path: PathBuf,
        what: String,
    },
    /// --vm or --vcpu names nothing in the tree.
    NoSuchScope(String),
    /// A bad option value that clap cannot check.
    Usage(String),
    Io {
        path: PathBuf,
        err: std::io::Error,
    },
    /// `record -- COMMAND`: the command failed (its exit code, or None if
    /// a signal ended it).
    Child(Option<i32>),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::DebugfsNotMounted(_) | Error::ModuleNotLoaded(_) | Error::NoRoot(_) => {
                code::NO_TABLES
            }
            Error::NotPermitted(_) => code::PERMISSION,
            Error::BadFile { .. } => code::BAD_FILE,
            Error::NoSuchScope(_) => code::NOT_FOUND,
            Error::Usage(_) => code::USAGE,
            Error::Io { .. } => code::FAILURE,
            Error::Child(Some(c)) => (*c).clamp(1, 255) as u8,
            Error::Child(None) => code::FAILURE,
        }
    }

    pub fn io(path: impl Into<PathBuf>, err: std::io::Error) -> Error {
        let path = path.into();
        if err.kind() == std::io::ErrorKind::PermissionDenied {
            Error::NotPermitted(path)
        } else {
            Error::Io { path, err }
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::DebugfsNotMounted(p) => write!(
                f,
                "debugfs is not mounted at {}: mount -t debugfs none {}",
                p.display(),
                p.display()
            ),
            Error::ModuleNotLoaded(p) => write!(
                f,
                "{} does not exist: the kvm_exit_timing module is not loaded (insmod kvm_exit_timing.ko)",
                p.display()
            ),
            Error::NoRoot(p) => write!(f, "{}: no such directory", p.display()),
            Error::NotPermitted(p) => write!(
                f,
                "{}: permission denied: the module's files are root's (run as root)",
                p.display()
            ),
            Error::BadFile { path, what } => write!(f, "{}: {what}", path.display()),
            Error::NoSuchScope(s) => write!(f, "{s}"),
            Error::Usage(s) => write!(f, "{s}"),
            Error::Io { path, err } => write!(f, "{}: {err}", path.display()),
            Error::Child(Some(c)) => write!(f, "the recorded command exited with status {c}"),
            Error::Child(None) => write!(f, "the recorded command was killed by a signal"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
