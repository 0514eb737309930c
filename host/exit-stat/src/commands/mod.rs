// SPDX-License-Identifier: GPL-2.0

//! One file per subcommand.

pub mod diff;
pub mod plot;
pub mod record;
pub mod report;
pub mod snapshot;
pub mod top;

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn write_stdout(s: &str) -> crate::error::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(crate::error::Error::io("stdout", e))
        }
        _ => Ok(()),
    }
}
